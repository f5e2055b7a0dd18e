/**
 * The shape of an RFC 6962 tree as integer ranges of leaves, without any hash: which subtrees an
 * inclusion or consistency proof is made of (RFC 9162 §2.1.3.1 and §2.1.4.1). A range [start, end)
 * stands for MTH(D[start:end]), the root of the tree over those leaves; every range these functions
 * return is one RFC 6962 would hash as a node of the tree (a power-of-two block aligned on its size,
 * or the right edge of the tree).
 */

/** Leaves `start` (inclusive) to `end` (exclusive). */
export interface LeafRange {
  start: number;
  end: number;
}

/** The largest power of two smaller than `n` (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`no split point for a tree of ${n} leaves`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]): the ranges whose roots prove leaf `index` of a tree of `size`
 * leaves, ordered as the proof lists them (the leaf's sibling first, the root's child last).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  }
  const ranges: LeafRange[] = [];
  let [start, end] = [0, size];
  // Walks from the root down; the proof lists what it meets from the bottom up.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
    }
  }
  return ranges.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the ranges whose roots prove that the
 * tree of `from` leaves is a prefix of the tree of `to` leaves (0 < from ≤ to), in proof order.
 */
export function consistencyRanges(from: number, to: number): LeafRange[] {
  checkSize(to);
  if (!Number.isSafeInteger(from) || from < 1 || from > to) {
    throw new RangeError(`no consistency proof from ${from} leaves to ${to}`);
  }
  const ranges: LeafRange[] = [];
  let [start, end, m] = [0, to, from];
  // `whole`: the old tree's root is this subtree itself, known to the verifier (b = true).
  let whole = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start, end });
  return ranges.reverse();
}

/**
 * The complete subtrees a range is made of, left to right: each a power-of-two block of leaves
 * aligned on its size. A range of a proof is either one such block or the right edge of a tree,
 * whose root folds its blocks from the right (RFC 6962's shape).
 */
export function completeSubtrees(range: LeafRange): LeafRange[] {
  const blocks: LeafRange[] = [];
  let start = range.start;
  while (start < range.end) {
    // The largest block aligned at `start` that fits.
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 <= range.end) size *= 2;
    blocks.push({ start, end: start + size });
    start += size;
  }
  return blocks;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`no proof in a tree of ${size} leaves`);
}
