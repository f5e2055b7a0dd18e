import type Database from 'better-sqlite3';

interface QueuedWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the embedded store: writes queued in the same turn of the event loop (batches
 * from concurrent requests) run in one transaction, each inside its own savepoint, so one fsync
 * makes all of them durable. A write that throws rolls back only its savepoint and rejects alone;
 * every other write resolves once the shared transaction has committed, never before.
 */
export class GroupCommit {
  private queue: QueuedWrite[] = [];
  private scheduled = false;
  /** Transactions committed, and the writes they held, since the start (for metrics). */
  readonly committed = { groups: 0, writes: 0 };

  /** `onCommit` hears the number of writes of each group once it committed. */
  constructor(
    private readonly db: Database.Database,
    private readonly onCommit?: (writes: number) => void,
  ) {}

  /** Writes queued for the next group. */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs `work` (synchronous better-sqlite3 calls) in the next group; settles after its commit. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current I/O phase, so that every request parsed in it joins the group.
        setImmediate(() => {
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const { work } of group) {
            try {
              // Nested inside the group's transaction, better-sqlite3 makes this a savepoint.
              outcomes.push({ ok: true, value: this.db.transaction(work)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the group is stored.
      for (const write of group) write.reject(error);
      return;
    }
    this.committed.groups++;
    this.committed.writes += group.length;
    this.onCommit?.(group.length);
    group.forEach((write, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok === true) write.resolve(outcome.value);
      else write.reject(outcome?.error instanceof Error ? outcome.error : new Error(String(outcome?.error)));
    });
  }
}
