import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Destination } from './destinations/destination.js';
import type { DestinationSettings, StreamDefinition } from './stream-definition.js';
import { StreamDeliverer, type DelivererContext, type StopReason } from './stream-deliverer.js';
import type { StoredStream, StreamKey, StreamLease } from './stream-store.js';

/** How long a lease lasts unless renewed, ms: a dead deliverer's streams are taken over after this. */
export const DEFAULT_LEASE_MS = 15_000;

/** Settings of the supervisor. */
export interface SupervisorSettings {
  /** Lease length, ms (default 15 s); renewed every third of it. */
  leaseMs?: number;
}

/** What a supervisor needs beyond a deliverer's context. */
export interface SupervisorContext extends DelivererContext {
  /** A stored stream's definition with its secrets put back, as its destination takes it. */
  open(stream: StoredStream): StreamDefinition;
  /** The destination of `settings` (secrets included). */
  destination(settings: DestinationSettings): Destination;
  /** A step failed (the store, a destination that cannot be built): logged, retried at the next tick. */
  onError(stream: StreamKey | undefined, error: unknown): void;
}

interface Running {
  lease: StreamLease;
  stop: AbortController;
  done: Promise<StopReason>;
}

/**
 * Runs the deliverers of this process: every lease period's third it lists the streams, takes or
 * renews the lease of each running one it can (one process per stream across every process of the
 * store), starts a deliverer for each stream it holds, restarts one whose stream changed, and stops
 * those of streams paused, deleted or taken over. A process that dies leaves its leases to expire:
 * another takes its streams over within one lease period and a tick.
 */
export class StreamSupervisor {
  /** Identifies this process's leases. */
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly leaseMs: number;
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly context: SupervisorContext,
    settings: SupervisorSettings = {},
  ) {
    this.leaseMs = settings.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Starts supervising: a tick now, then every third of the lease. */
  start(): void {
    this.schedule(0);
  }

  /** Runs a tick now (after a change made through the API), rather than at the next one. */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.ticking = this.ticking.then(() => this.tick());
    return this.ticking;
  }

  /** Stops every deliverer (a batch in flight is abandoned, its positions unmoved) and releases the leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.running.keys()].map((id) => this.halt(id, true)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poke().finally(() => {
        this.schedule(Math.max(1_000, Math.floor(this.leaseMs / 3)));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let streams: StoredStream[];
    try {
      streams = await this.context.store.streams.list(undefined);
    } catch (error) {
      this.context.onError(undefined, error);
      return;
    }
    const seen = new Set<string>();
    for (const stream of streams) {
      const id = idOf(stream);
      seen.add(id);
      try {
        await this.supervise(id, stream);
      } catch (error) {
        this.context.onError(stream, error);
      }
    }
    for (const id of this.running.keys()) if (!seen.has(id)) await this.halt(id, false);
  }

  private async supervise(id: string, stream: StoredStream): Promise<void> {
    const current = this.running.get(id);
    if (stream.pausedReason !== null) {
      if (current !== undefined) await this.halt(id, true);
      return;
    }
    const now = this.context.now();
    const lease = await this.context.store.streams.claimLease(stream, this.holder, now, now + this.leaseMs);
    if (lease === undefined) {
      // Another process holds it.
      if (current !== undefined) await this.halt(id, false);
      return;
    }
    if (
      current !== undefined &&
      current.lease.token === lease.token &&
      current.lease.version === lease.version
    ) {
      return;
    }
    if (current !== undefined) await this.halt(id, false);
    const definition = this.context.open(stream);
    const deliverer = new StreamDeliverer(
      this.context,
      stream,
      definition,
      lease,
      this.context.destination(definition.destination),
    );
    const stop = new AbortController();
    const done = deliverer.run(stop.signal).catch((error: unknown) => {
      this.context.onError(stream, error);
      return 'stopped' as const;
    });
    this.running.set(id, { lease, stop, done });
    // A deliverer that ends by itself (paused, fenced, failed) is forgotten, so the next tick decides again.
    void done.then(() => {
      if (this.running.get(id)?.done === done) this.running.delete(id);
    });
  }

  private async halt(id: string, release: boolean): Promise<void> {
    const current = this.running.get(id);
    if (current === undefined) return;
    this.running.delete(id);
    current.stop.abort();
    await current.done;
    if (release) {
      const [owner = '', name = ''] = id.split('\u0000');
      await this.context.store.streams.releaseLease({ owner, name }, this.holder).catch((error: unknown) => {
        this.context.onError({ owner, name }, error);
      });
    }
  }
}

const idOf = (key: StreamKey) => `${key.owner}\u0000${key.name}`;
