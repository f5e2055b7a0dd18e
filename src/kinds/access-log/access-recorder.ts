import { UnavailableError } from '../../domain/errors.js';
import type { LogRows } from '../../domain/log-rows.js';
import type { AccessLog } from './access-log-table.js';

/** How the recorder batches; tests may shrink the delay. */
export interface AccessRecorderOptions {
  /** Longest a record waits before its batch is written, ms (default 1000). */
  flushDelayMs?: number;
  /** Records written together at most; a full batch is written at once (default 500). */
  batchSize?: number;
  /** Records kept while the store does not take them; the oldest go first (default 100,000). */
  maxPending?: number;
  /** Hears of trouble: the store unavailable (records kept), records dropped. At most one a second. */
  onTrouble?: (message: string) => void;
}

/** Pause before writing again after the store failed, doubling up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** Attempts close() makes before it gives the records up. */
const CLOSING_ATTEMPTS = 3;

/**
 * Collects access-log records off the request path and writes them in batches: record() only
 * appends to a list. A batch is written once `batchSize` records wait or `flushDelayMs` after the
 * first, one write at a time.
 *
 * While the store is unavailable the records are kept (up to `maxPending`) and written after a
 * pause that doubles up to 30 s. A batch the store refuses for another reason is split in halves
 * until the record it refuses is alone, which is then dropped with a warning: one bad record never
 * holds the others back. close() writes everything handed over before it, giving up only when the
 * store stays unavailable.
 */
export class AccessRecorder {
  private pending: AccessLog[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<boolean> | undefined;
  private closed = false;
  private backoffMs = 0;
  /** The next batch's size: halved while the store refuses a batch, to find the bad record. */
  private batchLimit: number;
  private lastTroubleAt = -Infinity;
  private readonly flushDelayMs: number;
  private readonly batchSize: number;
  private readonly maxPending: number;

  constructor(
    private readonly rows: LogRows<AccessLog>,
    private readonly options: AccessRecorderOptions = {},
  ) {
    this.flushDelayMs = options.flushDelayMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
    this.batchLimit = this.batchSize;
  }

  /** Hands one record over; it is written with its batch. Costs an array push. */
  record(entry: AccessLog): void {
    if (this.closed) return;
    this.pending.push(entry);
    if (this.pending.length > this.maxPending) {
      // A tenth at once, so that a long outage does not move the whole list on every read.
      const dropped = Math.ceil(this.maxPending / 10);
      this.pending.splice(0, dropped);
      this.trouble(`access log: the store is not taking records; dropped the ${dropped} oldest`);
    }
    if (this.backoffMs === 0 && this.pending.length >= this.batchSize) this.startWriting();
    else this.schedule(this.backoffMs || this.flushDelayMs);
  }

  /**
   * Writes what was handed over, then takes no more. Retries a few times while the store is
   * unavailable; the records still unwritten then are reported and given up.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    let failures = 0;
    while (this.pending.length > 0 || this.writing !== undefined) {
      const written = await (this.writing ?? this.write());
      if (!written && ++failures >= CLOSING_ATTEMPTS) break;
    }
    if (this.pending.length > 0) {
      this.options.onTrouble?.(
        `access log: ${this.pending.length} records not written: the store is unavailable`,
      );
    }
  }

  private schedule(delayMs: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.startWriting();
    }, delayMs).unref();
  }

  private startWriting(): void {
    if (this.writing === undefined && this.pending.length > 0) void this.write();
  }

  /** Writes one batch; resolves true when the store took it (or refused a lone bad record). */
  private write(): Promise<boolean> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.batchLimit);
    this.writing = this.rows.insertMany(batch).then(
      () => {
        this.backoffMs = 0;
        this.batchLimit = this.batchSize;
        return true;
      },
      (error: unknown) => this.failed(batch, error),
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      // While a refused batch is halved, the next half goes at once.
      const bisecting = this.batchLimit < this.batchSize;
      if (this.pending.length > 0 && !this.closed)
        this.schedule(this.backoffMs || (bisecting ? 0 : this.flushDelayMs));
    });
    return this.writing;
  }

  private failed(batch: AccessLog[], error: unknown): boolean {
    if (error instanceof UnavailableError) {
      // Kept for the next attempt: ids make the retry idempotent should the store have taken it.
      this.pending.unshift(...batch);
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, FIRST_BACKOFF_MS), MAX_BACKOFF_MS);
      this.trouble(`access log: the store is unavailable; ${this.pending.length} records wait`);
      return false;
    }
    if (batch.length === 1) {
      this.batchLimit = this.batchSize;
      this.trouble(`access log: the store refused a record (${String(error)}); dropped it`);
      return true;
    }
    this.pending.unshift(...batch);
    this.batchLimit = Math.ceil(batch.length / 2);
    return true;
  }

  private trouble(message: string): void {
    const now = performance.now();
    if (now - this.lastTroubleAt < 1000) return;
    this.lastTroubleAt = now;
    this.options.onTrouble?.(message);
  }
}
