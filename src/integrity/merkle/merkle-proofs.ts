import { completeSubtrees, consistencyRanges, inclusionRanges, type LeafRange } from './merkle-ranges.js';
import { EMPTY_ROOT, nodeHash } from './rfc6962-hashing.js';

/**
 * Where the roots of a tree's complete subtrees come from: the tiles a store keeps, or leaf hashes
 * in memory. A complete subtree is a power-of-two block of leaves aligned on its size; its root
 * never changes once the tree holds all of it.
 */
export interface SubtreeHashes {
  /** MTH of the complete subtree `block` (32 bytes). */
  subtree(block: LeafRange): Promise<Buffer>;
}

/**
 * MTH(D[start:end]) for a range of a proof or a whole tree (see merkle-ranges.ts): its complete
 * subtrees' roots folded from the right, which is RFC 6962's shape for the right edge of a tree.
 */
export async function rangeHash(source: SubtreeHashes, range: LeafRange): Promise<Buffer> {
  const blocks = await Promise.all(completeSubtrees(range).map((block) => source.subtree(block)));
  let hash = blocks.pop();
  if (hash === undefined) throw new RangeError(`the range [${range.start}, ${range.end}) holds no leaf`);
  for (let i = blocks.length - 1; i >= 0; i--) hash = nodeHash(blocks[i] as Buffer, hash);
  return hash;
}

/** The root of the tree's first `size` leaves (the empty tree's for 0). */
export function rootHash(source: SubtreeHashes, size: number): Promise<Buffer> {
  return size === 0 ? Promise.resolve(EMPTY_ROOT) : rangeHash(source, { start: 0, end: size });
}

/** RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` (from 0) in the tree of `size` leaves. */
export async function inclusionProof(source: SubtreeHashes, index: number, size: number): Promise<Buffer[]> {
  return Promise.all(inclusionRanges(index, size).map((range) => rangeHash(source, range)));
}

/** RFC 9162 §2.1.4.1: the proof that the tree of `from` leaves is a prefix of the tree of `to` (0 < from ≤ to). */
export async function consistencyProof(source: SubtreeHashes, from: number, to: number): Promise<Buffer[]> {
  return Promise.all(consistencyRanges(from, to).map((range) => rangeHash(source, range)));
}

/**
 * A tree held as its leaf hashes in memory: for tests, and for checking a small tree. Each
 * subtree's root is computed from its leaves when asked, in time proportional to its size.
 */
export class MemoryTree implements SubtreeHashes {
  constructor(private readonly leafHashes: readonly Buffer[]) {}

  get size(): number {
    return this.leafHashes.length;
  }

  subtree(block: LeafRange): Promise<Buffer> {
    const size = block.end - block.start;
    const aligned = size > 0 && Number.isInteger(Math.log2(size)) && block.start % size === 0;
    if (!aligned || block.start < 0 || block.end > this.leafHashes.length) {
      return Promise.reject(
        new RangeError(`no subtree [${block.start}, ${block.end}) in ${this.size} leaves`),
      );
    }
    return Promise.resolve(this.hashOf(block.start, block.end));
  }

  private hashOf(start: number, end: number): Buffer {
    if (end - start === 1) return this.leafHashes[start] as Buffer;
    const middle = start + (end - start) / 2;
    return nodeHash(this.hashOf(start, middle), this.hashOf(middle, end));
  }
}
