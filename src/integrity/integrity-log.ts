import type { CheckpointOutbox } from './checkpoints/checkpoint-outbox.js';
import type { IntegrityStore, LogId } from './sequencing/integrity-store.js';
import type { LeafReader } from './sequencing/tree-builder.js';

/** Who the logs of a store are: fixed at the first signature, never changed after. */
export interface LogIdentity {
  /** INTEGRITY_ORIGIN: the prefix of every log's origin. */
  originPrefix: string;
  /** The signing key's public key, base64 of its 32 raw bytes. */
  publicKey: string;
}

/**
 * Everything a store keeps for tamper evidence, as the domain uses it: the trees and checkpoints
 * (IntegrityStore), the publishing outbox, leaf bytes, where a record's leaf is, and the identity.
 */
export interface IntegrityLog extends IntegrityStore, CheckpointOutbox, LeafReader {
  /** The index of a record's leaf (transition 0) or of its transition number `transition`; undefined when not numbered yet. */
  findLeaf(log: LogId, recordId: string, transition: number): Promise<number | undefined>;
  /** Whether the store has record `recordId` of the log's kind and tenant. */
  hasRecord(log: LogId, recordId: string): Promise<boolean>;
  /** The identity recorded at the first signature; undefined before it. */
  identity(): Promise<LogIdentity | undefined>;
  /** Records `identity` unless one is recorded already; returns the one recorded (maybe another). */
  claimIdentity(identity: LogIdentity): Promise<LogIdentity>;
}
