import type { CheckpointOutbox } from './checkpoints/checkpoint-outbox.js';
import type { IntegrityStore, LogId } from './sequencing/integrity-store.js';
import type { LeafReader } from './sequencing/tree-builder.js';
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

/**
 * Everything a store keeps for tamper evidence, as the domain uses it: the trees and checkpoints
 * (IntegrityStore), the publishing outbox, leaf bytes, where a record's leaf is, and the identity.
 */
export interface IntegrityLog extends IntegrityStore, CheckpointOutbox, LeafReader {
  /** The index of a record's leaf (transition 0) or of its transition number `transition`; undefined when not numbered yet. */
  findLeaf(log: LogId, recordId: string, transition: number): Promise<number | undefined>;
  /** The leaves numbered in [start, end) of `log` and their rows (a deleted leaf is not listed). */
  leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow>;
  /**
   * Up to `limit` records (transition 0) and status transitions of `kind`, in any tenant, that are
   * in no leaf: inserted behind sealog's back, or (`pending`) written and not numbered yet.
   */
  unnumbered(kind: string, limit: number): Promise<UnnumberedRow[]>;
  /** Whether the store has record `recordId` of the log's kind and tenant. */
  hasRecord(log: LogId, recordId: string): Promise<boolean>;
  /** The identity recorded at the first signature; undefined before it. */
  identity(): Promise<LogIdentity | undefined>;
  /** Records `identity` unless one is recorded already; returns the one recorded (maybe another). */
  claimIdentity(identity: LogIdentity): Promise<LogIdentity>;
}
