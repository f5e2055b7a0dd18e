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

/**
 * Keeps monthly partitions ahead of need: on start for the current month and MONTHS_AHEAD more,
 * and before a batch whose times fall in a month without a partition yet. Months known to exist
 * are remembered, so a batch into ready months costs nothing extra.
 */
export class PartitionKeeper {
  private readonly ready = new Set<number>();

  constructor(
    private readonly db: PgExecutor,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates the partitions of the current month and the MONTHS_AHEAD following ones.
   * @param db where to run the DDL: start-up passes its untimed migration connection
   */
  async prepareAhead(db: PgExecutor = this.db): Promise<void> {
    await this.ensure([this.now()], db);
  }

  /**
   * Makes sure each time's month (from MONTHS_BACK before now to MONTHS_FORWARD_LIMIT after) has its partition in every log table,
   * together with the months up to MONTHS_AHEAD after the current one. One round trip when a
   * partition is missing, none otherwise.
   */
  async ensure(timesMs: Iterable<number>, db: PgExecutor = this.db): Promise<void> {
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
    const missing = [...wanted].filter((start) => !this.ready.has(start));
    if (missing.length === 0) return;
    const rows = LOG_TABLES.flatMap(({ table, timeColumn }) =>
      missing.map((start) => [table, timeColumn, suffix(start), start, nextMonth(start)] as const),
    );
    await db.query(
      `SELECT sealog_add_partition(parent, time_column, suffix, from_ms, to_ms)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
           AS months(parent, time_column, suffix, from_ms, to_ms)`,
      [
        rows.map((row) => row[0]),
        rows.map((row) => row[1]),
        rows.map((row) => row[2]),
        rows.map((row) => row[3]),
        rows.map((row) => row[4]),
      ],
    );
    for (const start of missing) this.ready.add(start);
  }
}
