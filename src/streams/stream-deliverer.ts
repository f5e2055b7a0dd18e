import type { AuditStore } from '../domain/audit-store.js';
import { logKey, type LogId, type LogStatus } from '../integrity/sequencing/integrity-store.js';
import { DeliveryError, type Destination, type StreamEvent } from './destinations/destination.js';
import { readLeaves } from './leaf-feed.js';
import { carries, pauseAfterMs, type StreamDefinition } from './stream-definition.js';
import { batchId, EventBuilder, type StreamKinds } from './stream-events.js';
import type { StreamKey, StreamLease } from './stream-store.js';
import type { Wakeup } from './wakeup.js';

/** Back-off after a failed delivery: full jitter over FIRST_RETRY_MS · 2^(n−1), at most MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 300_000;
/** How often a caught-up deliverer looks for new leaves without being woken (PostgreSQL numbers them later). */
export const POLL_MS = 250;

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

/**
 * Delivers one stream while its supervisor holds the lease: reads each carried log from the
 * stream's stored position, sends batches of up to N events in leaf order per log, and moves the
 * positions only after the destination acknowledged (fenced by the lease token and the stream's
 * version, so a deliverer that lost its stream moves nothing). A retryable failure is retried with
 * back-off from the same positions; a configuration error, or failing longer than the stream
 * allows, pauses the stream.
 */
export class StreamDeliverer {
  private readonly events: EventBuilder;
  private readonly label: string;
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
  }

  /** Runs until `signal` aborts, the stream pauses, or its lease or version moved on. */
  async run(signal: AbortSignal): Promise<StopReason> {
    try {
      while (!signal.aborted) {
        const outcome = await this.step(signal);
        if (outcome === 'idle') await this.context.wakeup.next(POLL_MS, signal);
        else if (outcome !== 'again') return outcome;
      }
      return 'stopped';
    } finally {
      await this.destination.close().catch(() => undefined);
    }
  }

  /** One round: `again` after a batch (sent, skipped or failed) or a wait for more, `idle` with nothing to send, or the end. */
  private async step(signal: AbortSignal): Promise<'again' | 'idle' | StopReason> {
    const { store, now } = this.context;
    // Paused, rewound or changed through another process: stop before sending what it no longer wants.
    const stored = await store.streams.get(this.key);
    if (stored?.version !== this.lease.version) return 'fenced';
    if (stored.pausedReason !== null) return 'paused';
    const lagging = await this.lagging();
    if (lagging.length === 0) {
      this.pendingSince = undefined;
      return 'idle';
    }
    const pending = lagging.reduce((sum, log) => sum + log.assigned - log.from, 0);
    const { maxEvents, maxWaitMs } = this.definition.batch;
    if (pending < maxEvents) {
      this.pendingSince ??= now();
      if (now() - this.pendingSince < maxWaitMs) {
        await this.context.wakeup.next(Math.min(POLL_MS, maxWaitMs), signal);
        return 'again';
      }
    }
    const { events, moves } = await this.collect(lagging, maxEvents);
    // Every lagging log read to the end it had: the stream holds nothing older than this batch.
    const caughtUp =
      moves.length === lagging.length && moves.every((move, index) => move.to === lagging[index]?.assigned);
    if (signal.aborted) return 'stopped';
    let bytes = 0;
    if (events.length > 0) {
      const delivery = await this.deliver(events, signal);
      if (delivery instanceof DeliveryError) return this.fail(delivery, stored.failingSince, signal);
      bytes = delivery;
    }
    const committed = await store.streams.commitDelivery(this.key, this.lease, {
      moves,
      events: events.length,
      bytes,
      caughtUp,
      nowMs: now(),
    });
    if (!committed) return 'fenced';
    this.failures = 0;
    this.pendingSince = undefined;
    if (events.length > 0) this.context.listener.delivered(this.key, events.length, bytes);
    return 'again';
  }

  /** The carried logs with leaves past the stream's position, each with where it stands. */
  private async lagging(): Promise<(LogStatus & { from: number })[]> {
    const { store } = this.context;
    const [states, positions] = await Promise.all([
      store.integrity.logStates(),
      store.streams.positions(this.key),
    ]);
    const at = new Map(positions.map((position) => [logKey(position), position.nextLeaf]));
    return states
      .filter((state) => carries(this.key, this.definition, state))
      .map((state) => ({ ...state, from: at.get(logKey(state)) ?? 0 }))
      .filter((state) => state.assigned > state.from);
  }

  /** Up to `limit` events from the lagging logs, a log's in leaf order, and how far each log moves. */
  private async collect(lagging: readonly (LogStatus & { from: number })[], limit: number) {
    const events: StreamEvent[] = [];
    const moves: { log: LogId; from: number; to: number }[] = [];
    for (const log of lagging) {
      const room = limit - events.length;
      if (room <= 0) break;
      const until = Math.min(log.assigned, log.from + room);
      const leaves = await readLeaves(this.context.store, log, log.from, until);
      for (const leaf of leaves) {
        const event = this.events.event(log.kind, log.tenantId, leaf);
        if (event !== undefined) events.push(event);
      }
      moves.push({ log: { tenantId: log.tenantId, kind: log.kind }, from: log.from, to: until });
    }
    return { events, moves };
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
