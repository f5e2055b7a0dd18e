import type { LogRow, LogTable } from '../kinds/log-table.js';
import type { InsertOutcome } from './log-rows.js';

/** The outcome of a batch insert, with the positions in the batch of the rows it stored. */
export interface StoredOutcome extends InsertOutcome {
  stored: number[];
}

/** How many rows one committed write appended to one tenant's log of a kind. */
export interface AppendedCount {
  tenantId: string;
  count: number;
}

/** What one committed write appended to one log kind for one tenant, rows in insert order. */
export interface AppendedRows {
  table: LogTable;
  tenantId: string;
  /** How many rows were appended. */
  count: number;
  /** The rows; empty for a subscriber that asked for counts only (`rows: false`). */
  rows: readonly LogRow[];
}

/**
 * An output fed by the store's commits (the search indexer; later the integrity log, forwarders,
 * metrics). Delivery is at least once: after a failure or an overflow the subscriber catches up
 * from the store and may then hear of rows it has seen, which it must ignore.
 */
export interface CommitSubscriber {
  /** For messages: e.g. `search-indexer`. */
  readonly name: string;
  /** Hears what one commit appended; one call at a time, in commit order per (tenant, kind). */
  appended(batch: AppendedRows): Promise<void>;
  /**
   * Brings the subscriber up to date from the store, from a position it keeps itself (never from
   * memory): called when it subscribes, and again whenever a notification was lost to it.
   */
  catchUp(): Promise<void>;
}

/** What a write does when a subscriber's queue is full. */
export type Overflow =
  /** The write waits for room: the subscriber bounds how far it may lag (the search index). */
  | 'wait'
  /** The queue is dropped and the subscriber catches up from the store later: writes never wait. */
  | 'catch-up';

export interface SubscribeOptions {
  /** Rows the queue holds before `overflow` applies (≥ 1). */
  capacityRows: number;
  overflow: Overflow;
  /** The tables whose commits it hears (every table when absent): no other write waits for it. */
  tables?: readonly string[];
  /**
   * False for a subscriber that reads what it needs from the store itself: it hears counts, and
   * its queue holds no row (default true).
   */
  rows?: boolean;
}

/** Pause before catching up again after a failure, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * The after-commit seam of a store: the store publishes each committed append, and every
 * subscriber hears it through a bounded queue of its own, so a slow or failing subscriber never
 * fails an acknowledged write and never delays it beyond what its queue allows.
 */
export class AfterCommit {
  private readonly subscriptions: Subscription[] = [];
  private closed = false;

  /** Adds `subscriber` and has it catch up at once; it hears every commit from now on. */
  subscribe(subscriber: CommitSubscriber, options: SubscribeOptions): void {
    const subscription = new Subscription(subscriber, options);
    this.subscriptions.push(subscription);
    subscription.start();
  }

  /**
   * True when a subscriber hears rows, not only counts: publishCounts() is then not enough, and the
   * publisher must have the rows at hand.
   */
  get needsRows(): boolean {
    return this.subscriptions.some((subscription) => subscription.wantsRows);
  }

  /**
   * Hands what a commit appended to every subscriber as counts per tenant, for a publisher that
   * does not hold the rows (the primary process relaying a worker's batch to the writer thread).
   * Only while no subscriber needs rows (needsRows); otherwise use publish().
   */
  async publishCounts(table: LogTable, appended: readonly AppendedCount[]): Promise<void> {
    if (this.closed || this.subscriptions.length === 0) return;
    if (this.needsRows) throw new Error(`a subscriber of ${table.table} needs rows, not counts`);
    await this.offerAll(appended.map(({ tenantId, count }) => ({ table, tenantId, count, rows: [] })));
  }

  /**
   * Hands what a commit appended to every subscriber, split by tenant. Resolves at once unless a
   * `wait` subscriber's queue is full; never rejects. Call it after the commit, in commit order.
   */
  async publish(table: LogTable, rows: readonly LogRow[]): Promise<void> {
    if (this.closed || rows.length === 0 || this.subscriptions.length === 0) return;
    const byTenant = new Map<string, LogRow[]>();
    for (const row of rows) {
      const tenantRows = byTenant.get(row.tenant_id);
      if (tenantRows) tenantRows.push(row);
      else byTenant.set(row.tenant_id, [row]);
    }
    const batches = [...byTenant].map(([tenantId, tenantRows]) => ({
      table,
      tenantId,
      count: tenantRows.length,
      rows: tenantRows,
    }));
    await this.offerAll(batches);
  }

  /** Offers each batch to every subscriber; resolves once none of their queues holds it back. */
  private async offerAll(batches: readonly AppendedRows[]): Promise<void> {
    await Promise.all(
      this.subscriptions.flatMap((subscription) => batches.map((batch) => subscription.offer(batch))),
    );
  }

  /**
   * Publishes the rows of `rows` that `outcome` says were stored (duplicates left out), then
   * returns the outcome as the store's caller sees it. Call it after the commit, in commit order.
   */
  async publishStored(
    table: LogTable,
    rows: readonly LogRow[],
    outcome: StoredOutcome,
  ): Promise<InsertOutcome> {
    await this.publish(
      table,
      outcome.stored.flatMap((index) => rows[index] ?? []),
    );
    return { ids: outcome.ids, duplicates: outcome.duplicates };
  }

  /** Stops delivering: queued notifications are dropped (each subscriber catches up at its next start). */
  close(): Promise<void> {
    this.closed = true;
    return Promise.all(this.subscriptions.map((subscription) => subscription.stop())).then(() => undefined);
  }
}

/** One subscriber's queue and its delivery loop. */
class Subscription {
  private queue: AppendedRows[] = [];
  /** Rows queued or being delivered: the subscriber has not finished with them. */
  private pendingRows = 0;
  /** A notification was lost: the loop catches up before it delivers again. */
  private behind = true;
  private running: Promise<void> | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private roomWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscriber: CommitSubscriber,
    private readonly options: SubscribeOptions,
  ) {}

  start(): void {
    this.kick();
  }

  /** It hears rows, not only their counts. */
  get wantsRows(): boolean {
    return this.options.rows !== false;
  }

  /**
   * Queues `batch`. With `catch-up` it resolves at once (a full queue is dropped, and the
   * subscriber catches up later); with `wait` once the rows the subscriber has not finished are
   * back within its capacity. A failing subscriber queues nothing: it catches up when it is back.
   */
  async offer(published: AppendedRows): Promise<void> {
    const { capacityRows, overflow, tables, rows = true } = this.options;
    if (!this.accepting() || (tables !== undefined && !tables.includes(published.table.table))) return;
    const batch = rows ? published : { ...published, rows: [] };
    if (overflow === 'catch-up' && this.pendingRows > 0 && this.pendingRows + batch.count > capacityRows) {
      this.dropQueue();
      return;
    }
    this.queue.push(batch);
    this.pendingRows += batch.count;
    this.kick();
    while (overflow === 'wait' && this.accepting() && this.pendingRows > capacityRows) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private accepting(): boolean {
    return !this.stopped && this.retryTimer === undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dropQueue();
    await this.running;
  }

  private kick(): void {
    if (this.running !== undefined || this.stopped || this.retryTimer !== undefined) return;
    this.running = this.deliver().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 || this.behind) this.kick();
    });
  }

  private async deliver(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.behind) {
          // Cleared first: what is published while the catch-up reads is queued and delivered
          // after it (perhaps twice), never lost between the read and the queue. A drop while a
          // batch was delivered sets it again, so the catch-up comes before later commits.
          this.behind = false;
          await this.subscriber.catchUp();
          continue;
        }
        const batch = this.queue.shift();
        if (batch === undefined) break;
        await this.subscriber.appended(batch);
        // A drop while this batch was delivered counted it out already.
        this.pendingRows = Math.max(0, this.pendingRows - batch.count);
        this.wakeWaiters();
      }
      this.retryMs = FIRST_RETRY_MS;
    } catch {
      // The subscriber failed: it catches up from the store after a pause; writes go on meanwhile.
      this.dropQueue();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    }
  }

  /** Forgets the queue: the subscriber catches up from the store instead (unless stopping). */
  private dropQueue(): void {
    this.queue = [];
    this.pendingRows = 0;
    if (!this.stopped) this.behind = true;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
