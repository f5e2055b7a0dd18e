/**
 * The Ed25519 key that signs checkpoints (`SIGNING_KEY`, docs/design §6): PKCS#8 PEM text, or the
 * path of a file holding it; unset → `<dataDir>/integrity-signing-key.pem`, generated on first use
 * (mode 0600). Errors name the setting and the file, never the key.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config.js';
import { readOrCreateSecretFile } from '../../domain/secret-file.js';
import { rawPublicKey } from './signed-note.js';

/** File, inside the data directory, holding the key generated when SIGNING_KEY is unset. */
export const GENERATED_SIGNING_KEY_FILE = 'integrity-signing-key.pem';

const VARIABLE = 'SIGNING_KEY';
const HOW_TO =
  'set SIGNING_KEY to an Ed25519 private key in PKCS#8 PEM, or to the path of a file holding one (e.g. `openssl genpkey -algorithm ed25519 -out signing-key.pem`)';

/** The checkpoint signing key and where it came from. */
export interface SigningKey {
  /** The Ed25519 private key (node:crypto signs with it deterministically). */
  readonly privateKey: KeyObject;
  /** The 32 raw bytes of its public key: what a store records to refuse a process with another key. */
  readonly publicKey: Buffer;
  /** Where the key came from, for messages: `value`, `file <path>` or `generated file <path>`. */
  readonly source: string;
  /** The file the key was generated into, when SIGNING_KEY was unset. */
  readonly generatedFile?: string;
}

/**
 * Parses an Ed25519 private key from PEM `text` (PKCS#8, unencrypted; `\n` escapes, as an
 * environment variable may carry them, count as newlines). `source` names where the text came
 * from in messages. Throws ConfigError on anything else: other key types, public keys, encrypted
 * or malformed PEM.
 */
export function parseSigningKey(text: string, source: string): SigningKey {
  const pem = !text.includes('\n') && text.includes('\\n') ? text.replaceAll('\\n', '\n') : text;
  if (!pem.includes('-----BEGIN')) {
    throw new ConfigError(VARIABLE, `(${source}) holds no PEM key: ${HOW_TO}`);
  }
  if (/-----BEGIN (?:RSA |EC )?PUBLIC KEY-----/.test(pem)) {
    throw new ConfigError(VARIABLE, `(${source}) holds a public key, not a private one: ${HOW_TO}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // The message of a decoding error may quote the input: only its code is shown.
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    const encrypted = pem.includes('ENCRYPTED') ? ' (it is encrypted: give an unencrypted key)' : '';
    throw new ConfigError(
      VARIABLE,
      `(${source}) is not a usable private key${encrypted} [${code}]: ${HOW_TO}`,
    );
  }
  const type = privateKey.asymmetricKeyType ?? 'unknown';
  if (type !== 'ed25519') {
    throw new ConfigError(
      VARIABLE,
      `(${source}) is an ${type} key; checkpoints are signed with Ed25519 (C2SP signed notes): ${HOW_TO}`,
    );
  }
  return { privateKey, publicKey: rawPublicKey(privateKey), source };
}

/**
 * The signing key configured by `signingKey` (SIGNING_KEY: PEM text, or the path of a PEM file);
 * unset or blank → the key of `<dataDir>/integrity-signing-key.pem`, generated (mode 0600,
 * created atomically: two processes starting together agree on one key) when absent. Reads files
 * synchronously: called once at start-up. Throws ConfigError.
 */
export function loadSigningKey(signingKey: string | undefined, dataDir: string): SigningKey {
  const value = signingKey?.trim() ?? '';
  if (value === '') {
    const file = join(dataDir, GENERATED_SIGNING_KEY_FILE);
    let text: string;
    try {
      text = loadOrCreateKeyFile(file);
    } catch (error) {
      throw new ConfigError(
        VARIABLE,
        `is unset and the generated key file ${file} cannot be read or created (${(error as NodeJS.ErrnoException).code ?? 'error'}): make the data directory writable, or ${HOW_TO}`,
      );
    }
    return { ...parseSigningKey(text, `generated file ${file}`), generatedFile: file };
  }
  if (value.startsWith('-----BEGIN')) return parseSigningKey(value, 'value');
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new ConfigError(
      VARIABLE,
      `names file ${value}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${HOW_TO}`,
    );
  }
  return parseSigningKey(text, `file ${value}`);
}

/**
 * Reads `file`, or creates it holding a new key: written to a private temporary file, flushed,
 * then linked into place. link() fails when the file exists, so a process that loses the race
 * reads the winner's key, and nobody ever reads a half-written file. Losing this file while no
 * checkpoint was published elsewhere loses the only anchor, hence the fsyncs.
 */
function loadOrCreateKeyFile(file: string): string {
  return readOrCreateSecretFile(file, () =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
}
