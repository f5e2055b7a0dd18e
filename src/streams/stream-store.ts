import type { LogId } from '../integrity/sequencing/integrity-store.js';

/**
 * A stream's name within its owner: a tenant's stream (owner = the tenant id) or a platform stream
 * of STREAMS_FILE (owner '', which no tenant id can be).
 */
export interface StreamKey {
  readonly owner: string;
  readonly name: string;
}

/** Where a stream stands in one (tenant, kind) log: the next leaf it delivers. */
export interface StreamPosition extends LogId {
  /** The first leaf index not delivered yet (0: none delivered). */
  nextLeaf: number;
}

/** What a deliverer and the API know of a stream's delivery, as stored. */
export interface StreamStatus {
  /** Why the stream is paused (by an admin, by its receiver, after failing too long); null while it runs. */
  pausedReason: string | null;
  /** Epoch ms of the pause; null while it runs. */
  pausedAt: number | null;
  /** Epoch ms of the first failure of the current run of failures; null after a success. */
  failingSince: number | null;
  /** Epoch ms of the last batch the receiver acknowledged. */
  lastSuccessAt: number | null;
  /** Epoch ms and text of the last failure (kept after later successes, for the record). */
  lastErrorAt: number | null;
  lastError: string | null;
  /**
   * Epoch ms when a batch last delivered everything stored when it was read (or the stream was
   * created or rewound): while events wait, the stream is that far behind.
   */
  caughtUpAt: number | null;
  /** Events and bytes acknowledged since the stream was created. */
  eventsDelivered: number;
  bytesDelivered: number;
}

/** A stream as stored: its definition (JSON text) with its secrets apart, and its status. */
export interface StoredStream extends StreamKey, StreamStatus {
  /** The definition without its secrets, as JSON text (the domain's StreamDefinition). */
  definition: string;
  /** The destination's secrets as JSON text: opened here, sealed at rest under the master key. */
  secrets: string;
  /** Incremented by every change an admin or the file makes: a deliverer of an older version stops. */
  version: number;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** A definition to store (put), created with `start` positions or replacing an existing one's. */
export interface StreamPut extends StreamKey {
  definition: string;
  secrets: string;
  /** Whether the stream is stored paused by its admin (true) or running (false). */
  paused: boolean;
  /** The reason a paused stream gives. */
  pausedReason: string;
  /** The positions a new stream starts from (ignored when the stream exists). */
  start: readonly StreamPosition[];
}

/** The lease a deliverer holds on a stream, to deliver it alone. */
export interface StreamLease {
  /** Changes each time another holder takes the stream: a write with an older one is refused. */
  token: number;
  /** The stream's version when the lease was taken or renewed. */
  version: number;
}

/** What acknowledged batches change: positions moved (compare-and-set) and the counters. */
export interface DeliveryCommit {
  /** Each log's position before and after the batch. */
  moves: readonly { log: LogId; from: number; to: number }[];
  events: number;
  bytes: number;
  /**
   * When the latest of these batches that reached the end of every log it read was read (epoch ms):
   * the stream held nothing older then. Null when none did.
   */
  caughtUpAt: number | null;
  /** When the last of these batches was acknowledged (epoch ms): the stream's last success. */
  nowMs: number;
}

/** A failed batch: the error, and the pause it causes (null: the stream retries). */
export interface DeliveryFailure {
  error: string;
  pause: string | null;
  nowMs: number;
}

/**
 * The store's side of log streams (AuditStore.streams): definitions, positions, leases and status,
 * and the leaves with their records. Every write that a deliverer makes is fenced by its lease
 * token and the stream's version, so a deliverer that lost its lease or whose stream changed
 * never moves a position.
 */
export interface StreamStore {
  /** The streams of `owner` (a tenant, or '' for the platform's), or of every owner when undefined, by owner then name. */
  list(owner: string | undefined): Promise<StoredStream[]>;
  get(key: StreamKey): Promise<StoredStream | undefined>;
  /**
   * Creates the stream (with `start` positions) or replaces its definition and secrets, keeping its
   * positions and counters; either way it then runs (its failures forgotten) or is paused as
   * `put.paused` says, and its version moves on. Returns whether it was created.
   */
  put(put: StreamPut, nowMs: number): Promise<boolean>;
  /** Removes the stream with its positions; false when there was none. */
  delete(key: StreamKey): Promise<boolean>;
  /** Pauses (`reason`) or resumes (null, forgetting its failures) the stream; false when there is none. */
  setPaused(key: StreamKey, reason: string | null, nowMs: number): Promise<boolean>;
  /**
   * Replaces every position of the stream by `positions` (logs left out start from leaf 0), if it
   * is paused or has delivered nothing; returns false (changing nothing) otherwise.
   */
  rewind(key: StreamKey, positions: readonly StreamPosition[], nowMs: number): Promise<boolean>;
  /** The stream's positions, by tenant then kind. */
  positions(key: StreamKey): Promise<StreamPosition[]>;
  /**
   * Takes or renews the lease of `holder` until `untilMs`: undefined while another holder's lease
   * has not ended at `nowMs` (or there is no such stream).
   */
  claimLease(
    key: StreamKey,
    holder: string,
    nowMs: number,
    untilMs: number,
  ): Promise<StreamLease | undefined>;
  /** Ends `holder`'s lease, if it holds it. */
  releaseLease(key: StreamKey, holder: string): Promise<void>;
  /**
   * Moves the positions of an acknowledged batch and adds to the counters, forgetting failures, in
   * one transaction, if `lease` is still current and every position still stands where the move
   * starts; false (changing nothing) otherwise.
   */
  commitDelivery(key: StreamKey, lease: StreamLease, commit: DeliveryCommit): Promise<boolean>;
  /** Records a failed batch and the pause it causes, if `lease` is still current; false otherwise. */
  recordFailure(key: StreamKey, lease: StreamLease, failure: DeliveryFailure): Promise<boolean>;
  /**
   * The first leaf of `log` whose record's time is at or after `fromMs`: where a rewind to a time
   * starts (a status transition of an older record is not looked at); undefined when there is none.
   */
  firstLeafSince(log: LogId, fromMs: number): Promise<number | undefined>;
}
