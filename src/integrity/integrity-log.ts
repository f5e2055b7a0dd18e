import type { CheckpointOutbox } from './checkpoints/checkpoint-outbox.js';
import type { IntegrityStore, LeafRange, LogId } from './sequencing/integrity-store.js';
import type { LeafReader } from './sequencing/tree-builder.js';
import type { LeafChecks } from './leaves/leaf-checks.js';
import type { LeafWindow } from './leaves/leaf-builder.js';

/** Who the logs of a store are: fixed at the first signature, never changed after. */
export interface LogIdentity {
  /** INTEGRITY_ORIGIN: the prefix of every log's origin. */
  originPrefix: string;
  /** The signing key's public key, base64 of its 32 raw bytes. */
  publicKey: string;
}

/** A stored record or transition without a leaf. */
export interface UnnumberedRow {
  tenantId: string;
  recordId: string;
  /** 0 for the record; K for its K-th status transition. */
  transition: number;
  /** Written by sealog and not numbered yet (PostgreSQL's sequencer lags), not tampering. */
  pending: boolean;
}

/** How many rows of a kind one tenant has stored: what the leaves of its log must account for. */
export interface StoredRowCount {
  tenantId: string;
  records: number;
  /** Status transitions (communication logs; 0 for the other kinds). */
  transitions: number;
}

/**
 * Everything a store keeps for tamper evidence, as the domain uses it: the trees and checkpoints
 * (IntegrityStore), the publishing outbox, leaf bytes, where a record's leaf is, and the identity.
 */
/** Leaves [first, end) of a log pruned by retention. */
export type PrunedRange = readonly [first: number, end: number];

/**
 * The first leaf not in the pruned prefix of a log whose pruned ranges are `ranges` (sorted by
 * first leaf): the minimum index its checkpoints state. 0 when leaf 0 was not pruned.
 */
export function prunedPrefixEnd(ranges: readonly PrunedRange[]): number {
  let end = 0;
  for (const [first, last] of ranges) {
    if (first > end) break;
    end = Math.max(end, last);
  }
  return end;
}

export type { LeafRange } from './sequencing/integrity-store.js';

export interface IntegrityLog extends IntegrityStore, CheckpointOutbox, LeafReader {
  /** The index of a record's leaf (transition 0) or of its transition number `transition`; undefined when not numbered yet. */
  findLeaf(log: LogId, recordId: string, transition: number): Promise<number | undefined>;
  /**
   * What `sealog verify` needs of the leaves numbered in [start, end) of `log`, in leaf order: each
   * one's text recomputed from the stored rows, or why it cannot be; a leaf whose numbering row is
   * gone is not listed. Never throws for a row that is missing or holds a value no leaf can.
   */
  leafChecks(log: LogId, start: number, end: number): Promise<LeafChecks>;
  /**
   * The leaves numbered in [start, end) of `log`, in leaf order, with the stored rows they name
   * (personal fields sealed; a communication log with its whole history), read together: a leaf
   * whose record a retention purge removed is listed without its row.
   */
  leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow>;
  /**
   * leafWindow of several logs at once, answered in the order asked: one snapshot, and on
   * PostgreSQL a few statements per kind however many logs (a stream's batch spans many tenants).
   */
  leafWindows(ranges: readonly LeafRange[]): Promise<LeafWindow[]>;
  /**
   * Up to `limit` records (transition 0) and status transitions of `kind`, in any tenant, that are
   * in no leaf: inserted behind sealog's back, or (`pending`) written and not numbered yet.
   */
  unnumbered(kind: string, limit: number): Promise<UnnumberedRow[]>;
  /**
   * The records and transitions of `kind` stored per tenant (tenants with none are not listed):
   * when a log's leaves find as many rows, no row of it is outside them, and unnumbered() (a probe
   * of every row) need not run.
   */
  rowCounts(kind: string): Promise<StoredRowCount[]>;
  /**
   * The leaves of `log` whose records a retention purge removed, as [first, end) ranges in leaf
   * order: their hashes stay in the tree, their rows and numbering are gone on purpose.
   */
  prunedRanges(log: LogId): Promise<PrunedRange[]>;
  /** Whether the store has record `recordId` of the log's kind and tenant. */
  hasRecord(log: LogId, recordId: string): Promise<boolean>;
  /** The identity recorded at the first signature; undefined before it. */
  identity(): Promise<LogIdentity | undefined>;
  /** Records `identity` unless one is recorded already; returns the one recorded (maybe another). */
  claimIdentity(identity: LogIdentity): Promise<LogIdentity>;
}
