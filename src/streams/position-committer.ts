import { logKey, type LogId } from '../integrity/sequencing/integrity-store.js';
import type { StreamKey, StreamLease, StreamStore } from './stream-store.js';

/** A log's position moving over an acknowledged batch. */
export interface PositionMove {
  log: LogId;
  from: number;
  to: number;
}

/** An acknowledged batch, as the committer records it. */
export interface AcknowledgedBatch {
  moves: readonly PositionMove[];
  events: number;
  bytes: number;
  /** Whether the batch reached the end of every log it read (the stream caught up when it was read). */
  caughtUp: boolean;
  /** When the batch was read (epoch ms). */
  readAt: number;
  /** When the destination acknowledged it (epoch ms). */
  acknowledgedAt: number;
}

/** What acknowledged batches not yet committed add up to. */
interface Pending {
  moves: Map<string, PositionMove>;
  events: number;
  bytes: number;
  caughtUpAt: number | null;
  acknowledgedAt: number;
  batches: number;
}

/**
 * Stores the positions of acknowledged batches behind the deliverer, so that sending the next
 * batch never waits for the store (SQLite's single writer queues a commit behind the ingest's).
 * One commit at a time, in order: the batches acknowledged while one is in flight are merged into
 * the next (one compare-and-set per log, from the stored position to the latest acknowledged one).
 * A crash loses only positions, never records: the batches after the stored positions are sent
 * again (at least once).
 */
export class PositionCommitter {
  private pending: Pending | undefined;
  private inFlight: Promise<void> | undefined;
  private fenced = false;
  private failure: unknown;
  private hasFailed = false;

  constructor(
    private readonly store: StreamStore,
    private readonly key: StreamKey,
    private readonly lease: StreamLease,
  ) {}

  /** Batches acknowledged and not yet stored. */
  get backlog(): number {
    return this.pending?.batches ?? 0;
  }

  /** Records an acknowledged batch and commits it as soon as the commit before it is done. */
  add(batch: AcknowledgedBatch): void {
    const pending = (this.pending ??= {
      moves: new Map<string, PositionMove>(),
      events: 0,
      bytes: 0,
      caughtUpAt: null,
      acknowledgedAt: batch.acknowledgedAt,
      batches: 0,
    });
    for (const move of batch.moves) {
      const key = logKey(move.log);
      const earlier = pending.moves.get(key);
      // Batches of one log follow each other, so the merged move starts where the first one did.
      pending.moves.set(key, earlier === undefined ? move : { ...earlier, to: move.to });
    }
    pending.events += batch.events;
    pending.bytes += batch.bytes;
    if (batch.caughtUp) pending.caughtUpAt = batch.readAt;
    pending.acknowledgedAt = batch.acknowledgedAt;
    pending.batches++;
    this.kick();
  }

  /**
   * Throws a commit's store error; 'fenced' once a commit was refused (the lease or the stream's
   * version moved on: this deliverer must stop), 'ok' otherwise. Does not wait.
   */
  state(): 'ok' | 'fenced' {
    if (this.hasFailed) throw this.failure;
    return this.fenced ? 'fenced' : 'ok';
  }

  /** Waits until every batch added so far is committed (or a commit failed), then as state(). */
  async flush(): Promise<'ok' | 'fenced'> {
    while (this.inFlight !== undefined) await this.inFlight;
    return this.state();
  }

  private kick(): void {
    if (this.inFlight !== undefined || this.pending === undefined || this.fenced || this.hasFailed) return;
    const pending = this.pending;
    this.pending = undefined;
    this.inFlight = this.store
      .commitDelivery(this.key, this.lease, {
        moves: [...pending.moves.values()],
        events: pending.events,
        bytes: pending.bytes,
        caughtUpAt: pending.caughtUpAt,
        nowMs: pending.acknowledgedAt,
      })
      .then(
        (committed) => {
          if (!committed) this.fenced = true;
        },
        (error: unknown) => {
          this.hasFailed = true;
          this.failure = error;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.kick();
      });
  }
}
