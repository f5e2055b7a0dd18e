import type { LogRows } from '../../domain/audit-store.js';
import type { AccessLog } from './access-log-table.js';

/** How the recorder batches; tests may shrink the delay. */
export interface AccessRecorderOptions {
  /** Longest a record waits before its batch is written, ms (default 1000). */
  flushDelayMs?: number;
  /** Records written together at most; a full batch is written at once (default 500). */
  batchSize?: number;
  /** Records kept while the store does not take them; the oldest go first (default 100,000). */
  maxPending?: number;
  /** Hears of a batch the store refused (it is kept and retried) and of records dropped. */
  onTrouble?: (message: string) => void;
}

/**
 * Collects access-log records off the request path and writes them in batches: record() only
 * appends to a list. A batch is written once `batchSize` records wait or `flushDelayMs` after the
 * first, one write at a time; a batch the store refuses is kept and tried again with the next.
 * close() writes everything handed over before it.
 */
export class AccessRecorder {
  private pending: AccessLog[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** The last write failed: flush() stops rather than retrying at once. */
  private failedLast = false;
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
  }

  /** Hands one record over; it is written with its batch. Costs an array push. */
  record(entry: AccessLog): void {
    this.pending.push(entry);
    if (this.pending.length > this.maxPending) {
      const dropped = this.pending.length - this.maxPending;
      this.pending.splice(0, dropped);
      this.options.onTrouble?.(`access log: the store is not taking records; dropped the ${dropped} oldest`);
    }
    if (this.pending.length >= this.batchSize) this.startWriting();
    else
      this.timer ??= setTimeout(() => {
        this.startWriting();
      }, this.flushDelayMs).unref();
  }

  /** Writes every record handed over so far; resolves once they are stored (or the store refused them). */
  async flush(): Promise<void> {
    while (this.writing !== undefined || this.pending.length > 0) {
      this.startWriting();
      await this.writing;
      if (this.failedLast) return;
    }
  }

  /** Writes what was handed over, then takes no more (later records are written by flush() only). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private startWriting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing !== undefined || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.batchSize);
    this.writing = this.rows
      .insertMany(batch)
      .then(
        () => {
          this.failedLast = false;
        },
        (error: unknown) => {
          // Kept for the next attempt: ids make the retry idempotent should the store have taken it.
          this.failedLast = true;
          this.pending.unshift(...batch);
          this.options.onTrouble?.(
            `access log: storing ${batch.length} records failed (${String(error)}); retrying`,
          );
        },
      )
      .finally(() => {
        this.writing = undefined;
        if (this.pending.length > 0 && !this.closed) {
          this.timer ??= setTimeout(() => {
            this.startWriting();
          }, this.flushDelayMs).unref();
        }
      });
  }
}
