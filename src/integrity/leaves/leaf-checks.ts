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
  /** 0 for a record's leaf, K for its K-th status transition. */
  readonly transitions: number[] = [];
  /** The leaf's JCS text (the leaf bytes are its UTF-8), or undefined when it cannot be made. */
  readonly texts: (string | undefined)[] = [];
  /** By position: why a stored row makes no leaf (a value of a type or range no leaf holds). */
  readonly refusals = new Map<number, string>();
  /** Positions of communication-log records whose current row is not their history's outcome. */
  readonly currentDiffers: number[] = [];
  private recordIds: (string | undefined)[] = [];

  /**
   * `readRecordIds`, when given, reads the record ids of every entry, in order, the first time one
   * is asked for (recordId): a window of records alone needs them only to name a finding.
   */
  constructor(private readRecordIds?: () => (string | undefined)[]) {}

  /**
   * The checks of leaves `start`, `start + 1`, … (every leaf of the range numbered), each a record's
   * with its text in `texts`; the others, null there, are set after by setCheck. Their record ids
   * are read by `readRecordIds` if one is needed.
   */
  static ofRecords(
    start: number,
    texts: readonly (string | null)[],
    readRecordIds: () => (string | undefined)[],
  ): LeafChecks {
    const checks = new LeafChecks(readRecordIds);
    for (let position = 0; position < texts.length; position++) {
      checks.leafIndexes.push(start + position);
      checks.transitions.push(0);
      checks.texts.push(texts[position] ?? undefined);
    }
    return checks;
  }

  /** Entries so far. */
  get length(): number {
    return this.leafIndexes.length;
  }

  /** The id of the record of the entry at `position` (a transition's: its communication log's). */
  recordId(position: number): string | undefined {
    if (this.readRecordIds !== undefined) {
      this.recordIds = this.readRecordIds();
      this.readRecordIds = undefined;
    }
    return this.recordIds[position];
  }

  /** Adds the next leaf (by index, ascending) with its text, undefined when its row is not stored. */
  add(leafIndex: number, recordId: string, transition: number, text: string | undefined): void {
    this.leafIndexes.push(leafIndex);
    this.recordIds.push(recordId);
    this.transitions.push(transition);
    this.texts.push(text);
  }

  /**
   * Sets the entry at `position` (made by ofRecords) as checkLeaf found it; positions set in
   * ascending order.
   */
  setCheck(position: number, location: LeafLocation, check: LeafCheck): void {
    this.transitions[position] = location.transition;
    this.texts[position] = check.text;
    if (check.refusal !== undefined) this.refusals.set(position, check.refusal);
    if (check.currentDiffers) this.currentDiffers.push(position);
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
