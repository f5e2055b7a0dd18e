import type { AuditStore } from '../domain/audit-store.js';
import { logKey, type LogStatus } from '../integrity/sequencing/integrity-store.js';
import { DeliveryError, type Destination, type StreamEvent } from './destinations/destination.js';
import { readLeavesInParts } from './leaf-feed.js';
import { PositionCommitter, type PositionMove } from './position-committer.js';
import { carries, pauseAfterMs, type StreamDefinition } from './stream-definition.js';
import { batchId, EventBuilder, type StreamKinds } from './stream-events.js';
import type { StreamKey, StreamLease } from './stream-store.js';
import type { Wakeup } from './wakeup.js';

/** Back-off after a failed delivery: full jitter over FIRST_RETRY_MS · 2^(n−1), at most MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 300_000;
/** How often a caught-up deliverer looks for new leaves without being woken (PostgreSQL numbers them later). */
export const POLL_MS = 250;
/**
 * How many acknowledged batches may wait for their positions to be stored before the next is sent:
 * what a crash can make the stream send again, beyond the batch in flight.
 */
const MAX_UNCOMMITTED_BATCHES = 8;
/** Leaves per read of a batch, the reads run at once (see readLeavesInParts). */
const LEAVES_PER_READ = 250;

/** What a deliverer reports to its supervisor and to metrics. */
export interface DeliveryListener {
  /** A batch was acknowledged. */
  delivered(key: StreamKey, events: number, bytes: number): void;
  /** A batch failed; `paused` when the failure paused the stream. */
  failed(key: StreamKey, error: DeliveryError, paused: boolean): void;
}

/** Everything a deliverer works with. */
export interface DelivererContext {
  store: AuditStore;
  kinds: StreamKinds;
  /** The clock, epoch ms. */
  now: () => number;
  /** A number in [0, 1), for the back-off's jitter. */
  random: () => number;
  /** Resolves when a commit may have added leaves. */
  wakeup: Wakeup;
  listener: DeliveryListener;
}

/** Why a deliverer stopped. */
export type StopReason = 'stopped' | 'paused' | 'fenced';

/** A batch read from the logs, not yet sent. */
interface Batch {
  events: StreamEvent[];
  moves: PositionMove[];
  /** Whether it holds `maxEvents` leaves (so more may be waiting). */
  full: boolean;
  /** Whether it reached the end of every lagging log: the stream held nothing older when it was read. */
  caughtUp: boolean;
  /** When it was read (epoch ms). */
  readAt: number;
}

/** Each log's next leaf to send, by logKey (a log without one stands at 0). */
type Positions = Map<string, number>;

/**
 * Delivers one stream while its supervisor holds the lease: reads each carried log from the
 * stream's position, sends batches of up to N events in leaf order per log, and moves the stored
 * positions only after the destination acknowledged (fenced by the lease token and the stream's
 * version, so a deliverer that lost its stream moves nothing). While a batch is with the
 * destination the next one is read, and positions are stored behind the deliveries (see
 * PositionCommitter), so a busy store or event loop slows the stream less. A retryable failure is
 * retried with back-off from the last acknowledged batch; a configuration error, or failing longer
 * than the stream allows, pauses the stream.
 */
export class StreamDeliverer {
  private readonly events: EventBuilder;
  private readonly label: string;
  private readonly committer: PositionCommitter;
  /** Where the acknowledged batches end: the stored positions plus those not yet committed. */
  private readonly positions: Positions = new Map();
  /** The batch after the one in flight, read while the destination had it. */
  private prefetched: Promise<Batch | undefined> | undefined;
  private failures = 0;
  private pendingSince: number | undefined;

  constructor(
    private readonly context: DelivererContext,
    private readonly key: StreamKey,
    private readonly definition: StreamDefinition,
    private readonly lease: StreamLease,
    private readonly destination: Destination,
  ) {
    this.events = new EventBuilder(context.kinds, definition);
    this.label = `${key.owner}\u0000${key.name}`;
    this.committer = new PositionCommitter(context.store.streams, key, lease);
  }

  /** Runs until `signal` aborts, the stream pauses, or its lease or version moved on. */
  async run(signal: AbortSignal): Promise<StopReason> {
    try {
      for (const position of await this.context.store.streams.positions(this.key))
        this.positions.set(logKey(position), position.nextLeaf);
      while (!signal.aborted) {
        const outcome = await this.step(signal);
        if (outcome === 'idle') await this.context.wakeup.next(POLL_MS, signal);
        else if (outcome !== 'again') return outcome;
      }
      return 'stopped';
    } finally {
      await this.discardPrefetched();
      // What the destination acknowledged is stored even when stopping, so a restart resends less.
      await this.committer.flush().catch(() => undefined);
      await this.destination.close().catch(() => undefined);
    }
  }

  /** One round: `again` after a batch (sent, skipped or failed) or a wait for more, `idle` with nothing to send, or the end. */
  private async step(signal: AbortSignal): Promise<'again' | 'idle' | StopReason> {
    const { store } = this.context;
    if (this.committer.state() === 'fenced') return 'fenced';
    // Paused, rewound or changed through another process: stop before sending what it no longer wants.
    const stored = await store.streams.get(this.key);
    if (stored?.version !== this.lease.version) return 'fenced';
    if (stored.pausedReason !== null) return 'paused';
    const batch = await this.nextBatch(signal);
    if (typeof batch === 'string') return batch;
    if (signal.aborted) return 'stopped';
    if (batch.events.length === 0) {
      // Every leaf filtered out: nothing to send, the positions still move.
      this.acknowledged(batch, 0);
      return 'again';
    }
    if (this.committer.backlog >= MAX_UNCOMMITTED_BATCHES && (await this.committer.flush()) === 'fenced')
      return 'fenced';
    const sending = this.deliver(batch.events, signal);
    if (batch.full) this.prefetch(batch);
    const delivery = await sending;
    if (delivery instanceof DeliveryError) {
      await this.discardPrefetched();
      return this.fail(delivery, stored.failingSince, signal);
    }
    this.acknowledged(batch, delivery);
    return 'again';
  }

  /** The prefetched batch, or one read now once enough is waiting (or waited for long enough). */
  private async nextBatch(signal: AbortSignal): Promise<Batch | 'again' | 'idle'> {
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    const ready = await prefetched;
    if (ready !== undefined) return ready;
    const lagging = await this.lagging(this.positions);
    if (lagging.length === 0) {
      this.pendingSince = undefined;
      return 'idle';
    }
    const pending = lagging.reduce((sum, log) => sum + log.assigned - log.from, 0);
    const { maxEvents, maxWaitMs } = this.definition.batch;
    if (pending < maxEvents) {
      const { now } = this.context;
      this.pendingSince ??= now();
      if (now() - this.pendingSince < maxWaitMs) {
        await this.context.wakeup.next(Math.min(POLL_MS, maxWaitMs), signal);
        return 'again';
      }
    }
    return this.collect(lagging, maxEvents);
  }

  /** Reads the batch after `batch` while it is being sent, if a whole batch is waiting already. */
  private prefetch(batch: Batch): void {
    const after = new Map(this.positions);
    for (const move of batch.moves) after.set(logKey(move.log), move.to);
    const read = (async () => {
      const lagging = await this.lagging(after);
      const pending = lagging.reduce((sum, log) => sum + log.assigned - log.from, 0);
      return pending < this.definition.batch.maxEvents
        ? undefined
        : this.collect(lagging, this.definition.batch.maxEvents);
    })();
    // Awaited by nextBatch or discarded: a failed read surfaces there, not as an unhandled rejection.
    read.catch(() => undefined);
    this.prefetched = read;
  }

  private async discardPrefetched(): Promise<void> {
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    await prefetched?.catch(() => undefined);
  }

  /** The destination took `batch` (`bytes` sent): its positions move, stored behind the deliveries. */
  private acknowledged(batch: Batch, bytes: number): void {
    for (const move of batch.moves) this.positions.set(logKey(move.log), move.to);
    this.committer.add({
      moves: batch.moves,
      events: batch.events.length,
      bytes,
      caughtUp: batch.caughtUp,
      readAt: batch.readAt,
      acknowledgedAt: this.context.now(),
    });
    this.failures = 0;
    this.pendingSince = undefined;
    if (batch.events.length > 0) this.context.listener.delivered(this.key, batch.events.length, bytes);
  }

  /** The carried logs with leaves past `positions`, each with where it stands. */
  private async lagging(positions: Positions): Promise<(LogStatus & { from: number })[]> {
    return (await this.context.store.integrity.logStates())
      .filter((state) => carries(this.key, this.definition, state))
      .map((state) => ({ ...state, from: positions.get(logKey(state)) ?? 0 }))
      .filter((state) => state.assigned > state.from);
  }

  /** Up to `limit` events from the lagging logs, a log's in leaf order, and how far each log moves. */
  private async collect(lagging: readonly (LogStatus & { from: number })[], limit: number): Promise<Batch> {
    const readAt = this.context.now();
    const events: StreamEvent[] = [];
    const moves: PositionMove[] = [];
    let leaves = 0;
    for (const log of lagging) {
      const room = limit - leaves;
      if (room <= 0) break;
      const until = Math.min(log.assigned, log.from + room);
      leaves += until - log.from;
      moves.push({ log: { tenantId: log.tenantId, kind: log.kind }, from: log.from, to: until });
    }
    // Reads that each span the batch's logs (a batch often spans many tenants), run at once.
    const read = await readLeavesInParts(
      this.context.store,
      moves.map((move) => ({ log: move.log, start: move.from, end: move.to })),
      Math.ceil(leaves / LEAVES_PER_READ),
    );
    moves.forEach((move, position) => {
      for (const leaf of read[position] ?? []) {
        const event = this.events.event(move.log.kind, move.log.tenantId, leaf);
        if (event !== undefined) events.push(event);
      }
    });
    // Every lagging log read to the end it had: the stream holds nothing older than this batch.
    const caughtUp =
      moves.length === lagging.length && moves.every((move, index) => move.to === lagging[index]?.assigned);
    return { events, moves, full: leaves >= limit, caughtUp, readAt };
  }

  /** Sends `events`; the bytes sent, or the failure. */
  private async deliver(events: StreamEvent[], signal: AbortSignal): Promise<number | DeliveryError> {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.definition.timeoutMs)]);
    try {
      const { bytes } = await this.destination.deliver({ id: batchId(this.label, events), events }, timeout);
      return bytes;
    } catch (error) {
      if (error instanceof DeliveryError) return error;
      return new DeliveryError(error instanceof Error ? error.message : String(error), true);
    }
  }

  /** Records `error` (the run of failures began at `storedFailingSince`, or now); pauses the stream or waits out the back-off. */
  private async fail(
    error: DeliveryError,
    storedFailingSince: number | null,
    signal: AbortSignal,
  ): Promise<'again' | StopReason> {
    if (signal.aborted) return 'stopped';
    const { store, now } = this.context;
    this.failures++;
    // As read at the start of this round: failures are recorded only by this lease's holder.
    const failingSince = storedFailingSince ?? now();
    const pause = !error.retryable
      ? `the receiver refused a batch, which retrying cannot change: ${error.message}`
      : now() - failingSince >= pauseAfterMs(this.definition)
        ? `deliveries failed for longer than ${this.definition.pauseAfterFailing}; the last: ${error.message}`
        : null;
    const recorded = await store.streams.recordFailure(this.key, this.lease, {
      error: error.message,
      pause,
      nowMs: now(),
    });
    if (!recorded) return 'fenced';
    this.context.listener.failed(this.key, error, pause !== null);
    if (pause !== null) return 'paused';
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 20));
    await this.context.wakeup.sleep(
      // A receiver's Retry-After is honoured up to the longest back-off.
      Math.max(Math.min(error.retryAfterMs ?? 0, MAX_RETRY_MS), ceiling * this.context.random()),
      signal,
    );
    return 'again';
  }
}
