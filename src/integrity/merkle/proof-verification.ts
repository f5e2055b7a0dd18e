/**
 * Checking RFC 6962 proofs as RFC 9162 specifies: inclusion (§2.1.3.2) and consistency
 * (§2.1.4.2). What `sealog verify` and the checkpoint guard rely on; both functions answer false,
 * never throw, on any malformed input (negative or fractional sizes, hashes not 32 bytes).
 */
import { HASH_BYTES, nodeHash } from './rfc6962-hashing.js';

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isHash = (hash: Uint8Array) => hash.length === HASH_BYTES;

/**
 * RFC 9162 §2.1.3.2: does `proof` show `leafHash` as leaf `index` (from 0) of the tree of `size`
 * leaves whose root is `root`? False when index ≥ size (so always for the empty tree).
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  // fn walks the leaf's node up the tree, sn the last node of its level: the right edge.
  let fn = index;
  let sn = size - 1;
  let hash: Uint8Array = leafHash;
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      // A node at the right edge with no sibling is lifted as is, up to where it is a right child.
      if (fn % 2 === 0) [fn, sn] = liftRightEdge(fn, sn);
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(hash).equals(root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `first` leaves (root `firstRoot`) is a
 * prefix of the tree of `second` leaves (root `secondRoot`)? As transparency-dev/merkle does:
 * first = 0 is refused (nothing to prove; the caller decides about empty trees), and first =
 * second holds with an empty proof and equal roots only.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(first) || !isSize(second) || first < 1 || first > second) return false;
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (proof.length === 0) return false;
  // Step 2: an old tree that is a complete subtree is its own first node; the proof omits it.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0] as Uint8Array;
  let sr: Uint8Array = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) [fn, sn] = liftRightEdge(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot);
}

/** RFC 9162's "right-shift fn and sn equally until either LSB(fn) is set or fn is 0". */
function liftRightEdge(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

/** Whether n (a safe integer ≥ 1) is a power of two; arithmetic, as sizes exceed 32 bits. */
function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m % 2 === 0) m /= 2;
  return m === 1;
}
