import type { RowSealer } from './row-sealer.js';
import { ERASURE_POLL_MS, type ErasureNotice } from './subject-erasure.js';

/** Where a follower reads erasures: the store's record of them, in order. */
export interface ErasureSource {
  /** The seq of the newest erasure recorded, 0 when none. */
  latestSeq(): Promise<number>;
  /** Up to `limit` erasures after `seq`, oldest first. */
  after(seq: number, limit: number): Promise<ErasureNotice[]>;
}

/** Erasures read per poll; more wait for the next. */
const NOTICES_PER_POLL = 1000;

/**
 * Keeps one process's caches honest about erasures made by other processes (another worker, another
 * server on the same PostgreSQL, `sealog erase`): every ERASURE_POLL_MS it reads the erasures
 * recorded since its last look and drops the keys and plaintexts it holds of them. The process that
 * erases drops its own at once; the others within a poll.
 */
export class ErasureFollower {
  private position = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly source: ErasureSource,
    private readonly sealer: RowSealer,
    /** Hears a poll that failed (the store unavailable): the next poll tries again. */
    private readonly onFailure: (error: unknown) => void = () => undefined,
    private readonly intervalMs = ERASURE_POLL_MS,
  ) {}

  /**
   * Starts from the newest erasure recorded now: what this process cached before that was read
   * after the keys were gone, or is dropped by the erasure's own process.
   */
  async start(): Promise<void> {
    this.position = await this.source.latestSeq();
    this.schedule();
  }

  /** Reads and applies the erasures recorded since the last poll (tests call it to wait for none). */
  poll(): Promise<void> {
    this.polling = this.polling.then(() => this.apply());
    return this.polling;
  }

  /** Stops polling; resolves once a poll under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async apply(): Promise<void> {
    try {
      for (;;) {
        const notices = await this.source.after(this.position, NOTICES_PER_POLL);
        for (const notice of notices) {
          this.sealer.forgetErased(notice.tenantId, notice.subject, notice.keyIds);
          this.position = Math.max(this.position, notice.seq);
        }
        if (notices.length < NOTICES_PER_POLL) return;
      }
    } catch (error) {
      this.onFailure(error);
    }
  }
}
