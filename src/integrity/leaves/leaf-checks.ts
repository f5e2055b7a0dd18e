/**
 * What `sealog verify` learns of each leaf: its text recomputed from the stored rows, or why it
 * cannot be (its row is gone, or holds a value no leaf can), and whether a communication log's
 * current row is what its history gives (leaf-builder.ts checkLeaf). A store may make record
 * leaves its own faster way (SQLite: sqlite-leaf-texts.ts) and check the rest with checkLeaf.
 */
import { checkLeaf, type LeafCheck, type LeafLocation, type LeafWindow } from './leaf-builder.js';

/**
 * The checks of a window of numbered leaves, in leaf order, as parallel arrays (one entry a
 * numbered leaf: a log of millions of leaves is read in windows of thousands, and an object a leaf
 * is most of the garbage). A leaf whose numbering row is gone is not listed.
 */
export class LeafChecks {
  readonly leafIndexes: number[] = [];
  readonly recordIds: string[] = [];
  /** 0 for a record's leaf, K for its K-th status transition. */
  readonly transitions: number[] = [];
  /** The leaf's JCS text (the leaf bytes are its UTF-8), or undefined when it cannot be made. */
  readonly texts: (string | undefined)[] = [];
  /** By position: why a stored row makes no leaf (a value of a type or range no leaf holds). */
  readonly refusals = new Map<number, string>();
  /** Positions of communication-log records whose current row is not their history's outcome. */
  readonly currentDiffers: number[] = [];

  /** Entries so far. */
  get length(): number {
    return this.leafIndexes.length;
  }

  /** Adds the next leaf (by index, ascending) with its text, undefined when its row is not stored. */
  add(leafIndex: number, recordId: string, transition: number, text: string | undefined): void {
    this.leafIndexes.push(leafIndex);
    this.recordIds.push(recordId);
    this.transitions.push(transition);
    this.texts.push(text);
  }

  /** Adds the next leaf as checkLeaf found it. */
  addCheck(location: LeafLocation, check: LeafCheck): void {
    const position = this.length;
    this.add(location.leafIndex, location.recordId, location.transition, check.text);
    if (check.refusal !== undefined) this.refusals.set(position, check.refusal);
    if (check.currentDiffers) this.currentDiffers.push(position);
  }
}

/** The checks of every leaf of `window` (as a store read its rows by name). */
export function checkWindow(kind: string, window: LeafWindow): LeafChecks {
  const checks = new LeafChecks();
  for (const location of window.locations) {
    checks.addCheck(
      location,
      checkLeaf(
        kind,
        location,
        window.rows.records.get(location.recordId),
        window.rows.histories.get(location.recordId),
      ),
    );
  }
  return checks;
}
