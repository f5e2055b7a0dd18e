/**
 * The checkpoint signing key: SIGNING_KEY as PEM text or a path, or a key generated into the data
 * directory (mode 0600) and reused; anything but an unencrypted Ed25519 private key is refused
 * with a ConfigError that says what to do and never quotes the key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { rawPublicKey } from '../../src/integrity/checkpoints/signed-note.js';
import {
  GENERATED_SIGNING_KEY_FILE,
  loadSigningKey,
  parseSigningKey,
} from '../../src/integrity/checkpoints/signing-key.js';

const root = mkdtempSync(join(tmpdir(), 'sealog-signing-key-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let directories = 0;
const freshDirectory = () => join(root, `data-${++directories}`);

const ed25519 = generateKeyPairSync('ed25519');
const pem = ed25519.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

test('PEM text is the key (with real or escaped newlines)', () => {
  const expected = rawPublicKey(ed25519.privateKey);
  for (const value of [pem, pem.trim(), pem.trim().replaceAll('\n', '\\n')]) {
    const key = loadSigningKey(value, freshDirectory());
    assert.deepEqual(key.publicKey, expected);
    assert.equal(key.source, 'value');
    assert.equal(key.generatedFile, undefined);
    const signature = sign(null, Buffer.from('text\n'), key.privateKey);
    assert.equal(verify(null, Buffer.from('text\n'), ed25519.publicKey, signature), true);
  }
});

test('a path names the file holding the key', () => {
  const file = join(root, 'configured.pem');
  writeFileSync(file, pem);
  const key = loadSigningKey(` ${file} `, freshDirectory());
  assert.deepEqual(key.publicKey, rawPublicKey(ed25519.privateKey));
  assert.equal(key.source, `file ${file}`);
  assert.throws(
    () => loadSigningKey(join(root, 'absent.pem'), freshDirectory()),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === 'SIGNING_KEY' &&
      /cannot be read \(ENOENT\)/.test(error.message),
  );
});

test('unset, a key is generated into the data directory with mode 0600, then reused', () => {
  const dataDir = join(freshDirectory(), 'nested');
  const first = loadSigningKey(undefined, dataDir);
  const file = join(dataDir, GENERATED_SIGNING_KEY_FILE);
  assert.equal(first.generatedFile, file);
  assert.equal(first.privateKey.asymmetricKeyType, 'ed25519');
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  for (const unset of [undefined, '', '  ']) {
    const again = loadSigningKey(unset, dataDir);
    assert.deepEqual(again.publicKey, first.publicKey, 'the generated key is reused');
    assert.equal(again.generatedFile, file);
  }
  const other = loadSigningKey(undefined, freshDirectory());
  assert.notDeepEqual(other.publicKey, first.publicKey, 'each data directory has its own key');
});

/** Every run of 16 base64 characters of a PEM body: none may appear in a message. */
function secretFragments(text: string): string[] {
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s/g, '');
  return Array.from({ length: Math.max(0, body.length - 15) }, (_, at) => body.slice(at, at + 16));
}

function assertRefused(text: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseSigningKey(text, 'value');
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `refused: ${pattern}`);
  assert.equal(caught.variable, 'SIGNING_KEY');
  assert.match(caught.message, pattern);
  assert.match(caught.message, /openssl genpkey -algorithm ed25519/);
  for (const fragment of secretFragments(text))
    assert.ok(!caught.message.includes(fragment), 'no key material');
}

test('other key types, public keys, encrypted and malformed keys are refused, saying what to do', () => {
  const privatePem = (key: { privateKey: { export(options: object): string | Buffer } }) =>
    key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  assertRefused(privatePem(generateKeyPairSync('rsa', { modulusLength: 1024 })), /is an rsa key/);
  assertRefused(privatePem(generateKeyPairSync('ec', { namedCurve: 'P-256' })), /is an ec key/);
  assertRefused(privatePem(generateKeyPairSync('ed448')), /is an ed448 key/);
  assertRefused(privatePem(generateKeyPairSync('x25519')), /is an x25519 key/);
  assertRefused(
    ed25519.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    /holds a public key, not a private one/,
  );
  const encrypted = ed25519.privateKey
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' })
    .toString();
  assertRefused(encrypted, /is not a usable private key \(it is encrypted/);
  assertRefused(
    pem.replace(/[A-Za-z]{8}/, 'AAAAAAAA').replace(/\n[^-]/, '\n!'),
    /is not a usable private key/,
  );
  assertRefused('not a key at all', /holds no PEM key/);
  const file = join(root, 'rsa.pem');
  writeFileSync(file, privatePem(generateKeyPairSync('rsa', { modulusLength: 1024 })));
  assert.throws(() => loadSigningKey(file, freshDirectory()), new RegExp(`\\(file ${file}\\) is an rsa key`));
});
