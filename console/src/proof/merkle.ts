/**
 * RFC 6962 hashing and RFC 9162 §2.1.3.2 inclusion-proof checking, as sealog's
 * src/integrity/merkle/ does, on WebCrypto SHA-256.
 */
import { concat, sha256 } from './bytes';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
const HASH_BYTES = 32;

/** SHA-256(0x00 ‖ leaf). */
export function leafHash(leaf: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(LEAF_PREFIX, leaf));
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(NODE_PREFIX, left, right));
}

/**
 * The root that `proof` leads to from `hash`, leaf `index` of a tree of `size` leaves, or
 * undefined when the proof cannot be one for that position (wrong length, index ≥ size, hashes
 * not 32 bytes): the caller compares the root with the checkpoint's.
 */
export async function rootFromInclusionProof(
  index: number,
  size: number,
  hash: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | undefined> {
  const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!isSize(index) || !isSize(size) || index >= size) return undefined;
  if (hash.length !== HASH_BYTES || proof.some((sibling) => sibling.length !== HASH_BYTES)) return undefined;
  // fn walks the leaf's node up the tree, sn the last node of its level (the right edge).
  let fn = index;
  let sn = size - 1;
  let node = hash;
  for (const sibling of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      node = await nodeHash(sibling, node);
      // A right-edge node without a sibling rises unchanged until it is a right child.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      node = await nodeHash(node, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? node : undefined;
}
