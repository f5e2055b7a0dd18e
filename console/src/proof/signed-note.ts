/**
 * C2SP signed-note and tlog-checkpoint parsing, as src/integrity/checkpoints/ writes them: a
 * note is its text, a blank line, then signature lines `— <key name> <base64(key id ‖ signature)>`;
 * a verifier key is `<name>+<8 hex of key id>+<base64(0x01 ‖ Ed25519 public key)>`, the key id
 * being the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). The checkpoint text is the
 * origin, the tree size and the base64 root hash, one a line, then optional extension lines.
 */
import { concat, fromBase64, sha256, toHex, utf8, sameBytes } from './bytes';
import { verifyEd25519 } from './ed25519';

const ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';

export interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array<ArrayBuffer>;
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Uint8Array;
}

/** Why a note does not open with a key: unparsable, no signature by that key, or a bad one. */
export type NoteFailure = 'note' | 'no-signature' | 'signature';

/** The verifier key of `text`, or undefined when it is not a well-formed Ed25519 key whose id matches. */
export async function parseVerifierKey(text: string): Promise<VerifierKey | undefined> {
  const [name = '', idHex = '', ...keyParts] = text.split('+');
  let typed: Uint8Array;
  try {
    // The base64 part may itself hold '+'.
    typed = fromBase64(keyParts.join('+'));
  } catch {
    return undefined;
  }
  if (name === '' || /\s/.test(name) || !/^[0-9a-f]{8}$/.test(idHex)) return undefined;
  if (typed.length !== 33 || typed[0] !== ED25519) return undefined;
  const publicKey = new Uint8Array(typed.subarray(1));
  const keyId = await noteKeyId(name, publicKey);
  return toHex(keyId) === idHex ? { name, keyId, publicKey } : undefined;
}

/** The first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). */
async function noteKeyId(name: string, publicKey: Uint8Array): Promise<Uint8Array> {
  return (await sha256(concat(utf8(name), new Uint8Array([0x0a, ED25519]), publicKey))).subarray(0, 4);
}

/**
 * The text of `note` when it carries a valid signature by `key`; else why not. Signatures by other
 * keys (witnesses) are passed over, as sealog's openNote does.
 */
export async function openNote(
  note: string,
  key: VerifierKey,
): Promise<{ text: string } | { failure: NoteFailure }> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { failure: 'note' };
  const text = note.slice(0, split + 1);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return { failure: 'note' };
    const [name, blob, ...extra] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (name === undefined || blob === undefined || extra.length > 0) return { failure: 'note' };
    if (name !== key.name) continue;
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(blob);
    } catch {
      return { failure: 'note' };
    }
    if (bytes.length !== 68 || !sameBytes(bytes.subarray(0, 4), key.keyId)) continue;
    const valid = await verifyEd25519(key.publicKey, new Uint8Array(bytes.subarray(4)), utf8(text));
    return valid ? { text } : { failure: 'signature' };
  }
  return { failure: 'no-signature' };
}

/** The checkpoint `text` states, or undefined when it is not one. */
export function parseCheckpoint(text: string): CheckpointBody | undefined {
  const [origin = '', sizeText = '', rootText = ''] = text.split('\n');
  if (origin === '' || !/^(0|[1-9][0-9]*)$/.test(sizeText)) return undefined;
  const size = Number(sizeText);
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(size) && root.length === 32 ? { origin, size, root } : undefined;
}
