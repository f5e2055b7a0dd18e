import { EMPTY_ROOT, HASH_BYTES, nodeHash } from './rfc6962-hashing.js';

/** A complete subtree of a compact range: its size in leaves (a power of two) and its root. */
export interface CompactSubtree {
  size: number;
  hash: Buffer;
}

/**
 * The right edge of an RFC 6962 tree, as leaves are appended: the roots of its complete subtrees,
 * largest first (at most one per power of two, as in the binary digits of the size). Appending a
 * leaf merges equal subtrees, one node hash per merge (one per leaf on average), so a log of any
 * size is rooted, extended or checked leaf by leaf in constant memory: what a sequencer and
 * `sealog verify` keep while they walk a log.
 */
export class CompactRange {
  private readonly subtrees: CompactSubtree[] = [];
  private leaves = 0;

  /**
   * A compact range resumed from the right edge of a tree of `Σ sizes` leaves: its complete
   * subtrees' roots, largest first, as subtreeRoots() lists them (or as a store's partial tiles
   * give them). Throws unless the sizes are powers of two, strictly decreasing.
   */
  static fromSubtrees(subtrees: readonly CompactSubtree[]): CompactRange {
    const range = new CompactRange();
    let previous = Infinity;
    for (const { size, hash } of subtrees) {
      if (!Number.isSafeInteger(size) || size < 1 || !Number.isInteger(Math.log2(size)) || size >= previous) {
        throw new RangeError(`not the right edge of a tree: a subtree of ${size} leaves after ${previous}`);
      }
      if (hash.length !== HASH_BYTES) throw new RangeError(`a subtree root is 32 bytes, not ${hash.length}`);
      range.subtrees.push({ size, hash });
      range.leaves += size;
      previous = size;
    }
    if (!Number.isSafeInteger(range.leaves)) throw new RangeError('a tree larger than 2^53 leaves');
    return range;
  }

  /** The complete subtrees of the right edge, largest first: what fromSubtrees() resumes from. */
  subtreeRoots(): CompactSubtree[] {
    return this.subtrees.map(({ size, hash }) => ({ size, hash }));
  }

  /** Leaves appended so far. */
  get size(): number {
    return this.leaves;
  }

  /**
   * Appends the leaf hash `hash`; calls `completed` with each complete subtree the append closes
   * (its first leaf, its size in leaves, its root), smallest first — the nodes a store keeps.
   */
  append(hash: Buffer, completed?: (start: number, size: number, root: Buffer) => void): void {
    let merged = { size: 1, hash };
    completed?.(this.leaves, 1, hash);
    for (
      let last = this.subtrees.at(-1);
      last !== undefined && last.size === merged.size;
      last = this.subtrees.at(-1)
    ) {
      this.subtrees.pop();
      merged = { size: merged.size * 2, hash: nodeHash(last.hash, merged.hash) };
      completed?.(this.leaves + 1 - merged.size, merged.size, merged.hash);
    }
    this.subtrees.push(merged);
    this.leaves++;
  }

  /** The root of the leaves appended so far (the empty tree's before any). */
  root(): Buffer {
    let hash: Buffer | undefined;
    for (let i = this.subtrees.length - 1; i >= 0; i--) {
      const subtree = this.subtrees[i] as { hash: Buffer };
      hash = hash === undefined ? subtree.hash : nodeHash(subtree.hash, hash);
    }
    return hash ?? EMPTY_ROOT;
  }
}
