import { EMPTY_ROOT, nodeHash } from './rfc6962-hashing.js';

/**
 * The right edge of an RFC 6962 tree, as leaves are appended: the roots of its complete subtrees,
 * largest first (at most one per power of two, as in the binary digits of the size). Appending a
 * leaf merges equal subtrees, one node hash per merge (one per leaf on average), so a log of any
 * size is rooted, extended or checked leaf by leaf in constant memory: what a sequencer and
 * `sealog verify` keep while they walk a log.
 */
export class CompactRange {
  private readonly subtrees: { size: number; hash: Buffer }[] = [];
  private leaves = 0;

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
