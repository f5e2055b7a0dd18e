import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as files (for a server's configuration) and the certificate as PEM. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  /** The certificate, PEM. */
  pem: string;
}

/** P-256 keys: quick to make, and every TLS stack the tests use takes them. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * Makes a self-signed CA in `dir` with the `openssl` CLI (files `<name>.pem`, `<name>.key`), valid
 * for two days. `name` also goes into its subject, so that two CAs of a test differ.
 */
export async function makeTestCa(dir: string, name: string): Promise<CertificateFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...NEW_KEY,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=sealog test CA ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}

/**
 * Makes a TLS server certificate signed by `ca`, for `localhost` and 127.0.0.1, in `dir` (files
 * `<name>.pem`, `<name>.key`), valid for two days.
 */
export async function issueServerCertificate(
  ca: CertificateFiles,
  dir: string,
  name: string,
): Promise<CertificateFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const requestFile = join(dir, `${name}.csr`);
  const extensionsFile = join(dir, `${name}.ext`);
  await writeFile(
    extensionsFile,
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'req',
    '-new',
    ...NEW_KEY,
    '-keyout',
    keyFile,
    '-out',
    requestFile,
    '-subj',
    '/CN=localhost',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    requestFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-set_serial',
    String(Date.now()),
    '-days',
    '2',
    '-extfile',
    extensionsFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}
