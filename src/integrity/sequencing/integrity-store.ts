/**
 * The port every store implements for tamper evidence (SQLite, PostgreSQL, memory): the state of
 * each log, its tiles (C2SP tlog-tiles, see merkle/tile-layout.ts) and its signed checkpoints. The
 * domain (sequencer, checkpoint signer, proofs, verify) talks to this only. How leaves get their
 * index is each store's own business (SQLite numbers them in the writing transaction, PostgreSQL's
 * sequencer in its pass), so it is not part of the port: the port only reports `assigned`.
 */
import type { TileAddress } from '../merkle/tile-layout.js';

/** One log: a (tenant, kind) pair. The platform's access log has tenant ''. */
export interface LogId {
  tenantId: string;
  /** A kind's name, e.g. `communication-log` (LogTable.kind). */
  kind: string;
}

/** A log's key in maps and caches: its tenant and kind, joined by NUL (which neither holds). */
export function logKey(log: LogId): string {
  return `${log.tenantId}\u0000${log.kind}`;
}

/** Leaves [start, end) of a log. */
export interface LeafRange {
  log: LogId;
  start: number;
  end: number;
}

/** Where a log stands. Invariant: 0 ≤ treeSize ≤ assigned. */
export interface LogState {
  /** Leaves numbered so far (indexes 0 … assigned − 1), hashed into the tree or not yet. */
  assigned: number;
  /** Leaves hashed into the tree: its tiles hold exactly these. */
  treeSize: number;
  /** The RFC 6962 root of the first treeSize leaves (32 bytes; the empty tree's for 0). */
  root: Buffer;
}

/** A log and its state, as listed by IntegrityStore.logStates(). */
export interface LogStatus extends LogId, LogState {}

/** A tile as stored: its address and its hashes concatenated, 32·W bytes for W entries (1 ≤ W ≤ 256). */
export interface StoredTile extends TileAddress {
  hashes: Buffer;
}

/**
 * A tile to insert (previousWidth 0) or to rewrite in place as it grows: the whole new content,
 * whose first previousWidth entries are those already stored (hashes never change once written).
 */
export interface TileWrite extends StoredTile {
  /** Entries the stored row holds before the write; 0 when there is no row yet. */
  previousWidth: number;
}

/** The tree grown by some leaves (see sequencing/tree-appender.ts), to store in one step. */
export interface TreeUpdate {
  /** The tree size the update was computed from: the store applies it only if still current (CAS). */
  expectedSize: number;
  /** The new tree size, > expectedSize and ≤ assigned. */
  size: number;
  /** The new root (32 bytes). */
  root: Buffer;
  tiles: readonly TileWrite[];
}

/** One log's tree growth, as IntegrityStore.appendTrees takes it. */
export interface TreeStep {
  log: LogId;
  update: TreeUpdate;
}

/** A signed checkpoint of a log, as kept (every one is kept; see docs/design §6). */
export interface StoredCheckpoint {
  /** Tree size it states (leaves). */
  size: number;
  /** Root it states (32 bytes). */
  root: Buffer;
  /** The whole signed note (C2SP signed-note text with its signature lines). */
  note: string;
  /** When it was signed, epoch milliseconds. */
  signedAt: number;
}

/** Tamper-evidence storage of one store. Buffers passed in or returned are never shared with it. */
export interface IntegrityStore {
  /** The state of `log`; a log never written is `{ assigned: 0, treeSize: 0, root: EMPTY_ROOT }`. */
  logState(log: LogId): Promise<LogState>;
  /** Every log with at least one leaf assigned, by tenant then kind, ascending by UTF-8 bytes. */
  logStates(): Promise<LogStatus[]>;
  /**
   * The stored hashes of `tiles`, in the order asked: each 32·W bytes (a partial tile holds its
   * first W entries), or undefined for a tile not written yet. Several tiles in one round trip.
   */
  readTiles(log: LogId, tiles: readonly TileAddress[]): Promise<(Buffer | undefined)[]>;
  /**
   * Writes `update`'s tiles, tree size and root in one atomic step, if the tree size is still
   * `update.expectedSize`; returns false (and changes nothing) otherwise, so two sequencers can
   * never fork a log. Throws, changing nothing, on an update that breaks the log's invariants: a
   * size beyond `assigned` or not above expectedSize, a tile whose stored width is not its
   * previousWidth or whose stored hashes would change.
   */
  appendTree(log: LogId, update: TreeUpdate): Promise<boolean>;
  /**
   * appendTree of several logs (each at most once) in one atomic step: one transaction and a few
   * round trips whatever their number, which is what lets a sequencer keep up with many busy logs.
   * Returns each step's outcome in the order given (false: that log's size moved on, nothing of it
   * written). Throws, changing nothing of any log, on a step that breaks its log's invariants.
   * Optional: a store without it gets appendTree called once per log.
   */
  appendTrees?(steps: readonly TreeStep[]): Promise<boolean[]>;
  /** The checkpoint of `log` with the largest size, if any. */
  latestCheckpoint(log: LogId): Promise<StoredCheckpoint | undefined>;
  /** The checkpoint of `log` stating tree size `size`, if one was signed. */
  checkpointAt(log: LogId, size: number): Promise<StoredCheckpoint | undefined>;
  /** Up to `limit` checkpoints of `log` with sizes above `afterSize` (−1: all), by size ascending. */
  listCheckpoints(log: LogId, afterSize: number, limit: number): Promise<StoredCheckpoint[]>;
  /**
   * Stores `checkpoint` if the latest stored checkpoint of `log` still has size `expectedLatest`
   * (undefined: none yet) and `checkpoint.size` is above it; returns false otherwise (another
   * signer got there first: re-read and re-check rather than sign over it).
   */
  storeCheckpoint(
    log: LogId,
    checkpoint: StoredCheckpoint,
    expectedLatest: number | undefined,
  ): Promise<boolean>;
}
