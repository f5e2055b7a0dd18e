import { createHash, hash } from 'node:crypto';

/** Bytes of every hash of the tree (SHA-256). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 6962 §2.1: the hash of a leaf, SHA-256(0x00 ‖ leaf bytes). */
export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

/** RFC 6962 §2.1: the hash of an interior node, SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 6962 §2.1: the root of the empty tree, SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/*
 * The same hashes as binary strings (32 characters, each one byte: Node's 'binary', i.e. latin1),
 * for `sealog verify`, which hashes every leaf of a log: one-shot crypto.hash with a string digest
 * costs about half of a Hash object with a Buffer digest (under 1 µs against 2 µs a leaf).
 * `Buffer.from(h, 'latin1')` and `buffer.toString('latin1')` convert between the two forms.
 */

/**
 * RFC 6962 leaf hash of the UTF-8 bytes of `text` (a leaf's JCS text), as a binary string. `text`
 * must be well-formed UTF-16 (a leaf is: the encoder refuses lone surrogates), else its bytes
 * would hold U+FFFD where the leaf bytes hold something else.
 */
export function leafHashOfText(text: string): string {
  // A string is hashed as its UTF-8 bytes; NUL is the one byte 0x00, the leaf prefix.
  return hash('sha256', `\u0000${text}`, 'binary');
}

/** 0x01 ‖ left ‖ right, rewritten for each node hash (one thread: nothing else writes it between). */
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES, 0x01);

/** RFC 6962 node hash of two binary-string hashes, as a binary string. */
export function nodeHashOfStrings(left: string, right: string): string {
  nodeInput.write(left, 1, HASH_BYTES, 'latin1');
  nodeInput.write(right, 1 + HASH_BYTES, HASH_BYTES, 'latin1');
  return hash('sha256', nodeInput, 'binary');
}
