/**
 * What `sealog copy` moves between stores, as stored: rows with their personal fields sealed, the
 * subject keys that open them (wrapped), leaf numbers, checkpoints. One store reads these (the
 * SQLite export), another writes them (the PostgreSQL import); nothing is opened or resealed on
 * the way, so every leaf, tile and root is the same on both.
 */
import type { LeafLocation } from '../integrity/leaves/leaf-builder.js';
import type { StoredTransition } from '../integrity/leaves/delivery-history.js';
import type { LogId } from '../integrity/sequencing/integrity-store.js';
import type { StoredSubjectKey } from '../sealing/subject-key-ring.js';

/** A record as its table stores it: every stored column (storedColumns), `sealed` and search copy included. */
export type RawRecord = Readonly<Record<string, string | number | null>> & {
  readonly tenant_id: string;
  readonly id: string;
};

/** The columns of a communication log a delivery-status transition changes, as stored. */
export interface RawLogState {
  readonly id: string;
  readonly status: string;
  readonly error: string | null;
  readonly response: string | null;
  readonly sent_at: number | null;
  readonly updated_at: number;
}

/**
 * Leaves `start` … `start + leaves.length − 1` of one log and the rows they are made of. A
 * communication log travels in the state its own copied leaves give it: the transitions whose
 * leaves come after the batch are undone (from what each recorded it replaced), so the target
 * holds, after every batch, a log whose rows give exactly the leaves it has.
 */
export interface RawLeafBatch {
  readonly log: LogId;
  /** The index of the first leaf. */
  readonly start: number;
  /** The leaves, in order, without a gap. */
  readonly leaves: readonly LeafLocation[];
  /** The records of the leaves with transition 0, in leaf order. */
  readonly records: readonly RawRecord[];
  /** The transitions of the other leaves, in leaf order (each its log's `transition`-th, by seq). */
  readonly transitions: readonly StoredTransition[];
  /**
   * Communication logs copied by an earlier batch that this batch's transitions move: their
   * changed columns as of the batch's last leaf.
   */
  readonly moved: readonly RawLogState[];
  /** The subject keys the batch's envelopes were sealed with, wrapped; an erased subject's are absent. */
  readonly subjectKeys: readonly StoredSubjectKey[];
}

/** A signed checkpoint with its publication state (the outbox columns), as stored. */
export interface RawCheckpoint {
  readonly treeSize: number;
  readonly root: Buffer;
  readonly note: string;
  readonly signedAt: number;
  readonly dirPublished: boolean;
  readonly urlPublished: boolean;
  readonly urlAttempts: number;
  readonly urlNextAt: number;
}
