/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 signatures (key type 0x01): the
 * text of a note, a blank line, then one line per signature, `— <key name> <base64(key id ‖
 * signature)>`. The key id is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key),
 * and a verifier key is written `<name>+<8 hex digits of the key id>+<base64(0x01 ‖ public key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The signature type byte of Ed25519 in signed notes. */
const ED25519 = 0x01;
/** The line prefix of a signature: an em dash (U+2014) and a space. */
const SIGNATURE_PREFIX = '\u2014 ';
/** PKCS#8 DER of an Ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key pair of a note signer, with its name (for sealog, the log's origin). */
export interface NoteSigner {
  name: string;
  privateKey: KeyObject;
  /** The 32 bytes of the public key. */
  publicKey: Buffer;
  keyId: Buffer;
}

/** What checks a note's signature: a verifier key, parsed. */
export interface NoteVerifier {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
}

/** The 4-byte key id of an Ed25519 key named `name`. */
export function noteKeyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url');
}

/** The Ed25519 private key of a 32-byte seed (RFC 8032). */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** A signer named `name` (no space, no `+`, not empty) with an Ed25519 private key. */
export function noteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkKeyName(name);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('a note signer needs an Ed25519 key');
  const publicKey = rawPublicKey(privateKey);
  return { name, privateKey, publicKey, keyId: noteKeyId(name, publicKey) };
}

/** The verifier key text of a signer: `<name>+<key id hex>+<base64(0x01 ‖ public key)>`. */
export function verifierKeyText(signer: Pick<NoteSigner, 'name' | 'publicKey' | 'keyId'>): string {
  const typed = Buffer.concat([Buffer.from([ED25519]), signer.publicKey]);
  return `${signer.name}+${signer.keyId.toString('hex')}+${typed.toString('base64')}`;
}

/** Parses a verifier key text; throws on anything but a well-formed Ed25519 key whose id matches. */
export function parseVerifierKey(text: string): NoteVerifier {
  const [name = '', idHex = '', key = '', ...rest] = text.split('+');
  // The base64 part may itself hold `+`.
  const typed = Buffer.from([key, ...rest].join('+'), 'base64');
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex) || typed.length !== 33 || typed[0] !== ED25519) {
    throw new Error(`not an Ed25519 verifier key: ${text}`);
  }
  const publicKey = typed.subarray(1);
  const keyId = noteKeyId(name, publicKey);
  if (keyId.toString('hex') !== idHex) throw new Error(`the key id of ${name} does not match its key`);
  return { name, keyId, publicKey };
}

/** The note of `text` (non-empty, ending in a newline) signed by `signer`. */
export function signNote(text: string, signer: NoteSigner): string {
  checkText(text);
  const signature = sign(null, Buffer.from(text), signer.privateKey);
  const line = Buffer.concat([signer.keyId, signature]).toString('base64');
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${line}\n`;
}

/**
 * The text of `note` when one of its signatures is `verifier`'s and checks out; throws otherwise.
 * Signatures by other keys are ignored (a note may carry several, e.g. witnesses').
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('malformed note: no signature block');
  const text = note.slice(0, split + 1);
  checkText(text);
  const lines = note.slice(split + 2, -1).split('\n');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: verifier.publicKey.toString('base64url') },
    format: 'jwk',
  });
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new Error(`malformed note: signature line "${line}"`);
    const [name, blob, ...extra] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (name === undefined || blob === undefined || extra.length > 0) {
      throw new Error(`malformed note: signature line "${line}"`);
    }
    if (name !== verifier.name) continue;
    const bytes = Buffer.from(blob, 'base64');
    if (bytes.length !== 68 || !bytes.subarray(0, 4).equals(verifier.keyId)) continue;
    if (verify(null, Buffer.from(text), publicKey, bytes.subarray(4))) return text;
    throw new Error(`the signature of ${name} does not verify`);
  }
  throw new Error(`the note carries no signature by ${verifier.name}`);
}

function checkKeyName(name: string): void {
  if (name === '' || /[\s+]/.test(name)) throw new Error(`not a note key name: "${name}"`);
}

function checkText(text: string): void {
  if (!text.endsWith('\n') || text === '\n')
    throw new Error('a note text is non-empty and ends with a newline');
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x0a) || code === 0x7f) {
      throw new Error('a note text holds no control character but newlines');
    }
  }
}
