/**
 * C2SP signed-note and tlog-checkpoint checks written for the tests apart from src/: the key id
 * recomputed with @noble/hashes, the Ed25519 signature checked with @noble/ed25519 (a code path
 * other than node:crypto's).
 */
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';

/** Whether `note` carries a valid signature by the key of `verifierKey` (`name+hexid+base64`). */
export async function verifiesIndependently(note: string, verifierKey: string): Promise<boolean> {
  const [name = '', idHex = '', ...keyParts] = verifierKey.split('+');
  const typedKey = Buffer.from(keyParts.join('+'), 'base64');
  const publicKey = typedKey.subarray(1);
  const id = sha256(Buffer.concat([Buffer.from(`${name}\n`), typedKey])).subarray(0, 4);
  if (typedKey[0] !== 1 || Buffer.from(id).toString('hex') !== idHex) return false;
  const split = note.indexOf('\n\n');
  const text = note.slice(0, split + 1);
  const prefix = `\u2014 ${name} `;
  for (const line of note.slice(split + 2).split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const blob = Buffer.from(line.slice(prefix.length), 'base64');
    if (blob.length !== 68 || Buffer.compare(blob.subarray(0, 4), id) !== 0) continue;
    if (await ed.verifyAsync(blob.subarray(4), Buffer.from(text, 'utf8'), publicKey)) return true;
  }
  return false;
}

/** The origin, size and root of a checkpoint note's body (tlog-checkpoint). */
export function checkpointBody(note: string): { origin: string; size: number; root: Buffer } {
  const [origin = '', size = '', root = ''] = note.split('\n');
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}
