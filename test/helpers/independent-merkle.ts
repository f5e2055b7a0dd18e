/**
 * An RFC 9162 verifier written for the tests, apart from src/: the verification algorithms of
 * §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) as the RFC states them, step by step, with
 * hashing of its own. sealog's proofs must convince it; it shares no code with what it checks.
 */
import { createHash } from 'node:crypto';

function interior(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from([1]), left, right]))
    .digest();
}

/** SHA-256(0x00 ‖ leaf). */
export function hashLeaf(leaf: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from([0]), leaf]))
    .digest();
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: does `proof` show `leafHash` as leaf `leafIndex` of the tree of `treeSize` with `root`? */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leafIndex >= treeSize || leafHash.length !== 32) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = interior(p, r);
      if (!odd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!odd(fn) && fn !== 0);
      }
    } else {
      r = interior(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `first` leaves (`firstRoot`) is a prefix of the one of `second`? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (proof.length === 0) return false;
  const path = Number.isInteger(Math.log2(first)) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = interior(c, fr);
      sr = interior(c, sr);
      if (!odd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!odd(fn) && fn !== 0);
      }
    } else {
      sr = interior(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

/** RFC 6962 §2.1: MTH of the leaf hashes, recursively (k = largest power of two below n). */
export function merkleTreeHash(leafHashes: readonly Uint8Array[]): Buffer {
  const n = leafHashes.length;
  if (n === 0) return createHash('sha256').digest();
  if (n === 1) return Buffer.from(leafHashes[0] ?? []);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return interior(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}
