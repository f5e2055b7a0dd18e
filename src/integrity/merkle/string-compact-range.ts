import { EMPTY_ROOT, nodeHashOfStrings } from './rfc6962-hashing.js';

/**
 * CompactRange (compact-range.ts) over binary-string hashes (rfc6962-hashing.ts): the right edge of
 * an RFC 6962 tree as leaf hashes are appended, for `sealog verify`, which roots every log leaf by
 * leaf. The same merges as CompactRange, without a Buffer or an object per hash.
 */
export class StringCompactRange {
  /** Roots of the complete subtrees, largest first; their sizes are the binary digits of `size`. */
  private readonly hashes: string[] = [];
  private leaves = 0;

  /** Leaves appended so far. */
  get size(): number {
    return this.leaves;
  }

  /** Appends the leaf hash `hash` (a binary string of 32 characters). */
  append(hash: string): void {
    let merged = hash;
    // Each trailing 1 bit of the size is a subtree as large as the merged one: merge them.
    for (let size = this.leaves; size % 2 === 1; size = (size - 1) / 2) {
      merged = nodeHashOfStrings(this.hashes.pop() as string, merged);
    }
    this.hashes.push(merged);
    this.leaves++;
  }

  /** The root of the leaves appended so far (the empty tree's before any), as bytes. */
  root(): Buffer {
    let hash: string | undefined;
    for (let i = this.hashes.length - 1; i >= 0; i--) {
      const subtree = this.hashes[i] as string;
      hash = hash === undefined ? subtree : nodeHashOfStrings(subtree, hash);
    }
    return hash === undefined ? Buffer.from(EMPTY_ROOT) : Buffer.from(hash, 'latin1');
  }
}
