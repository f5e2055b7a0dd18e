import { LOG_TABLES } from '../../kinds/log-tables.js';
import type { PgExecutor } from './pg-executor.js';

/** Months ahead of the current one whose partitions exist before any row needs them. */
export const MONTHS_AHEAD = 3;
/**
 * Partitions are made for rows up to this many months old; older rows (a backfill of ancient logs)
 * stay in the default partition rather than letting one batch create hundreds of tables.
 */
export const MONTHS_BACK = 24;
/** Likewise for rows dated far ahead (a client clock gone wrong): no partitions beyond this. */
export const MONTHS_FORWARD_LIMIT = 12;

/** Start of the UTC month holding `ms`, epoch ms. */
export function monthStart(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function nextMonth(startMs: number): number {
  const date = new Date(startMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

function suffix(startMs: number): string {
  const date = new Date(startMs);
  return `p${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** How often the keeper looks ahead again (a server running into a new month), ms. */
const LOOK_AHEAD_EVERY_MS = 3_600_000;
/** How long the keeper waits after a failed attempt before trying again, ms. */
const RETRY_AFTER_MS = 30_000;

/** One month's partition of one log table, as sealog_add_partition takes it. */
interface MonthPartition {
  parent: string;
  timeColumn: string;
  suffix: string;
  fromMs: number;
  toMs: number;
}

/** Partition DDL that failed, named, with the database's own code and message (e.g. 40P01). */
export class PartitionDdlError extends Error {
  constructor(partition: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(
      `creating partition ${partition} failed${typeof code === 'string' ? ` (${code})` : ''}: ${(cause as Error).message}; ` +
        'rows of its month wait in the default partition, and it is tried again',
    );
    this.name = 'PartitionDdlError';
  }
}

/**
 * Runs partition DDL on a connection of its own without the request timeouts (withUntimedClient):
 * creating a partition waits for locks that running queries hold.
 */
export type UntimedRunner = <T>(work: (db: PgExecutor) => Promise<T>) => Promise<T>;

/**
 * Keeps monthly partitions ahead of need, so that no request waits on partition DDL: the current
 * month and MONTHS_AHEAD more are made on start (ensure) and then by a background job, which also
 * makes the months that batches brought rows for (notice; those rows wait in the default partition,
 * from which sealog_add_partition moves them). Each partition is its own transaction, with no
 * statement timeout: on Citus one takes seconds (it distributes the new table), and a failure
 * (a distributed deadlock, 40P01) loses only that one, tried again after RETRY_AFTER_MS.
 */
export class PartitionKeeper {
  private readonly ready = new Set<number>();
  private readonly pending = new Set<number>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param runUntimed where the background job runs its DDL; undefined: notice() does nothing
   * (a one-off command that calls ensure() itself)
   * @param onFailure hears of a background attempt that failed (it is tried again)
   */
  constructor(
    private readonly runUntimed: UntimedRunner | undefined,
    private readonly now: () => number = Date.now,
    private readonly onFailure: (error: Error) => void = () => undefined,
  ) {}

  /**
   * Makes sure each time's month (from MONTHS_BACK before now to MONTHS_FORWARD_LIMIT after) has
   * its partition in every log table, with the months up to MONTHS_AHEAD after the current one,
   * each in a transaction of its own on `db` (a connection, not a pool). Nothing when all exist.
   */
  async ensure(timesMs: Iterable<number>, db: PgExecutor): Promise<void> {
    for (const start of this.missing(timesMs)) {
      for (const partition of monthPartitions(start)) await addPartition(db, partition);
      this.ready.add(start);
      this.pending.delete(start);
    }
  }

  /**
   * Notes the months of `timesMs` for the background job, which makes those still missing; never
   * waits. Costs nothing when every month is ready.
   */
  notice(timesMs: Iterable<number>): void {
    const missing = this.missing(timesMs);
    if (missing.length === 0) return;
    for (const start of missing) this.pending.add(start);
    this.kick();
  }

  /** Starts the background job: looking ahead every LOOK_AHEAD_EVERY_MS. */
  start(): void {
    if (this.timer !== undefined || this.runUntimed === undefined) return;
    this.schedule(LOOK_AHEAD_EVERY_MS);
  }

  /** Stops the background job, waiting for a partition being made. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.kick();
    }, ms);
    this.timer.unref();
  }

  private kick(): void {
    const run = this.runUntimed;
    if (run === undefined || this.closed || this.running !== undefined) return;
    this.running = (async () => {
      let again = false;
      try {
        await run((db) => this.ensure([...this.pending], db));
        // Months noticed while this run was past them.
        again = this.pending.size > 0;
        this.schedule(LOOK_AHEAD_EVERY_MS);
      } catch (error) {
        this.onFailure(error instanceof Error ? error : new Error(String(error)));
        this.schedule(RETRY_AFTER_MS);
      } finally {
        this.running = undefined;
      }
      if (again) this.kick();
    })();
  }

  /** The months `timesMs` and the months ahead need, without a partition known to exist. */
  private missing(timesMs: Iterable<number>): number[] {
    const current = monthStart(this.now());
    let earliest = current;
    for (let i = 0; i < MONTHS_BACK; i++) earliest = monthStart(earliest - 1);
    const wanted = new Set<number>();
    let month = current;
    for (let i = 0; i <= MONTHS_AHEAD; i++, month = nextMonth(month)) wanted.add(month);
    let latest = current;
    for (let i = 0; i < MONTHS_FORWARD_LIMIT; i++) latest = nextMonth(latest);
    for (const time of timesMs) {
      const start = monthStart(time);
      if (start >= earliest && start <= latest) wanted.add(start);
    }
    return [...wanted].filter((start) => !this.ready.has(start)).sort((a, b) => a - b);
  }
}

/** The partitions of the month starting at `startMs`, one per log table. */
function monthPartitions(startMs: number): MonthPartition[] {
  return LOG_TABLES.map(({ table, timeColumn }) => ({
    parent: table,
    timeColumn,
    suffix: suffix(startMs),
    fromMs: startMs,
    toMs: nextMonth(startMs),
  }));
}

/**
 * Creates one partition (when missing) in a transaction of its own, with no statement timeout;
 * a failure is a PartitionDdlError naming it.
 */
async function addPartition(db: PgExecutor, partition: MonthPartition): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query("SET LOCAL statement_timeout = '0'");
    await db.query('SELECT sealog_add_partition($1, $2, $3, $4, $5)', [
      partition.parent,
      partition.timeColumn,
      partition.suffix,
      partition.fromMs,
      partition.toMs,
    ]);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw new PartitionDdlError(`${partition.parent}_${partition.suffix}`, error);
  }
}
