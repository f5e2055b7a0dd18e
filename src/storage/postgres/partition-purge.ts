import { setTimeout } from 'node:timers/promises';
import { tallySpecs, volumeTally, type LogTable } from '../../kinds/log-table.js';
import type { PartitionPurgeHooks } from '../../retention/purge-store.js';
import type { PgExecutor } from './pg-executor.js';

/** The bounds of a month partition, as pg_get_expr prints them. */
const PARTITION_BOUNDS = /FROM \('(-?\d+)'\) TO \('(-?\d+)'\)/;
/** How long the detach waits for the log table's lock before it gives up this time, ms. */
const DETACH_LOCK_TIMEOUT_MS = 200;
/** Tries of a detach whose lock was busy before the partition is left to the row batches. */
const DETACH_TRIES = 10;
/** The wait after a busy try, ms, times the tries so far. */
const DETACH_RETRY_MS = 250;
/** The name a partition takes once detached, until its derived rows are gone and it is dropped. */
const DETACHED_PREFIX = 'sealog_purging_';

/** Runs work in one transaction on one connection (PgPool.transaction). */
export type PgTransaction = <T>(work: (db: PgExecutor) => Promise<T>) => Promise<T>;

/** One month partition of a log table: its name and its time range [fromMs, toMs). */
export interface MonthPartition {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The month partitions of `table` (never the default one), oldest first. */
export async function monthPartitions(db: PgExecutor, table: LogTable): Promise<MonthPartition[]> {
  const rows = await db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass`,
    [table.table],
  );
  return rows
    .flatMap(({ name, bound }) => {
      const match = PARTITION_BOUNDS.exec(bound);
      return match === null ? [] : [{ name, fromMs: Number(match[1]), toMs: Number(match[2]) }];
    })
    .sort((a, b) => a.fromMs - b.fromMs);
}

/** A statement that gave up waiting for a lock (lock_timeout, 55P03). */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}

/**
 * Removes whole the month partitions of `table` that end at or before `cutoffMs`, in two steps, so
 * that neither reads nor ingest wait on more than a catalog change:
 *
 * 1. One transaction per partition detaches it from the log table: under a SHARE lock on the
 *    partition alone (no write can change its rows meanwhile, reads go on) its leaves are recorded
 *    as pruned ranges and its counts per tally and volume (tallySpecs) computed; then, under a
 *    short ACCESS EXCLUSIVE lock on the log table (given up after DETACH_LOCK_TIMEOUT_MS and tried
 *    again later), the counts are taken out of the tallies and volume (emptied volume keys
 *    removed) and the partition detached and renamed `sealog_purging_<name>`.
 *    Its rows are then gone from every API at once, without leaving deleted entries behind that
 *    reads would walk, as a row-by-row delete would.
 * 2. The detached table is walked by its key in batches of `hooks.batchRows`, each batch's rows
 *    deleted with their id claims, dependent rows (transitions) and leaves in one statement (so a
 *    run that stops in this step leaves the rest in the table, which the next run finishes first,
 *    counting each row once); then it is dropped.
 *
 * A partition holding a row of a tenant outside `tenants` (whose retention the caller did not
 * weigh), or whose lock stays busy for DETACH_TRIES tries, is left: the row batches that follow
 * remove what of it is expired. Returns the rows removed per tenant.
 */
export async function purgeExpiredPartitions(
  db: PgExecutor,
  transaction: PgTransaction,
  table: LogTable,
  tenants: readonly string[],
  cutoffMs: number,
  nowMs: number,
  hooks: PartitionPurgeHooks,
): Promise<Map<string, number>> {
  const removed = new Map<string, number>();
  const count = (tenantId: string, rows: number) => {
    removed.set(tenantId, (removed.get(tenantId) ?? 0) + rows);
    hooks.onRemoved(tenantId, removed.get(tenantId) ?? 0);
  };
  for (const leftover of await detachedTables(db, table)) {
    if (!(await clearDetached(db, table, leftover, hooks, count))) return removed;
  }
  for (const partition of await monthPartitions(db, table)) {
    if (partition.toMs > cutoffMs) break;
    let detached: string | undefined;
    for (let tried = 1; detached === undefined && tried <= DETACH_TRIES; tried++) {
      if (!(await hooks.between())) return removed;
      const outcome = await detachExpired(transaction, table, partition.name, tenants, nowMs);
      if (outcome === 'foreign tenant') break;
      if (outcome !== 'busy') detached = outcome.detached;
      else if (tried < DETACH_TRIES) await setTimeout(DETACH_RETRY_MS * tried);
    }
    if (detached !== undefined && !(await clearDetached(db, table, detached, hooks, count))) break;
  }
  return removed;
}

/** The tables earlier runs detached from `table` and did not finish. */
async function detachedTables(db: PgExecutor, table: LogTable): Promise<string[]> {
  const prefix = `${DETACHED_PREFIX}${table.table}_p`;
  const rows = await db.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class
      WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
        AND left(relname, $1) = $2 ORDER BY relname`,
    [prefix.length, prefix],
  );
  return rows.map((row) => row.name);
}

/**
 * What step 1 did: the partition's new name; 'busy' when a lock was (the transaction rolled back,
 * nothing changed); 'foreign tenant' when it holds rows of a tenant outside the ones weighed.
 */
type DetachOutcome = { detached: string } | 'busy' | 'foreign tenant';

/** Step 1 for one partition (see purgeExpiredPartitions). */
async function detachExpired(
  transaction: PgTransaction,
  table: LogTable,
  partition: string,
  tenants: readonly string[],
  nowMs: number,
): Promise<DetachOutcome> {
  const detached = `${DETACHED_PREFIX}${partition}`;
  try {
    return await transaction(async (db) => {
      // Walking a month's rows may take longer than a request may; the locks say how long to wait.
      await db.query('SET LOCAL statement_timeout = 0');
      await db.query(`SET LOCAL lock_timeout = '${DETACH_LOCK_TIMEOUT_MS * 5}ms'`);
      await db.query(`LOCK TABLE "${partition}" IN SHARE MODE`);
      const [foreign] = await db.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM "${partition}" WHERE tenant_id <> ALL ($1::text[])) AS found`,
        [tenants],
      );
      if (foreign?.found === true) return 'foreign tenant';
      await db.query(
        `WITH leaves AS (
           SELECT l.tenant_id, l.leaf_index FROM integrity_leaves l JOIN "${partition}" r
               ON l.tenant_id = r.tenant_id AND l.kind = $1 AND l.record_id = r.id),
         runs AS (
           SELECT tenant_id, leaf_index,
                  leaf_index - row_number() OVER (PARTITION BY tenant_id ORDER BY leaf_index) AS run
             FROM leaves)
         INSERT INTO integrity_pruned (tenant_id, kind, first_leaf, end_leaf, pruned_at)
         SELECT tenant_id, $1, min(leaf_index), max(leaf_index) + 1, $2 FROM runs GROUP BY tenant_id, run`,
        [table.kind, nowMs],
      );
      // Counted before the lock on the log table, which then holds writers only for the upserts.
      const tallies = tallySpecs(table);
      for (const [n, tally] of tallies.entries()) {
        const keys = tally.columns.map((_, position) => position + 1).join(', ');
        await db.query(
          `CREATE TEMP TABLE sealog_tally_delta_${n} ON COMMIT DROP AS
           SELECT ${tally.sql.map((expression, position) => `${expression} AS "${tally.columns[position]}"`).join(', ')},
                  count(*) AS n
             FROM "${partition}" GROUP BY ${keys}`,
        );
      }
      // The log table before any tally row, as every write takes them (see sealog_drop_partition).
      await db.query(`SET LOCAL lock_timeout = '${DETACH_LOCK_TIMEOUT_MS}ms'`);
      await db.query(`LOCK TABLE ${table.table} IN ACCESS EXCLUSIVE MODE`);
      const volume = volumeTally(table)?.table;
      for (const [n, tally] of tallies.entries()) {
        const columns = tally.columns.map((column) => `"${column}"`).join(', ');
        await db.query(
          `INSERT INTO ${tally.table} AS t (${columns}, n)
           SELECT ${columns}, -n FROM sealog_tally_delta_${n} ORDER BY ${columns}
           ON CONFLICT (${columns}) DO UPDATE SET n = t.n + excluded.n`,
        );
        // A volume keeps no empty hours (see volume-ddl.ts).
        if (tally.table === volume) {
          const match = tally.columns.map((column) => `t."${column}" = d."${column}"`).join(' AND ');
          await db.query(
            `DELETE FROM ${tally.table} t USING sealog_tally_delta_${n} d WHERE ${match} AND t.n = 0`,
          );
        }
      }
      await db.query(`ALTER TABLE ${table.table} DETACH PARTITION "${partition}"`);
      await db.query(`ALTER TABLE "${partition}" RENAME TO "${detached}"`);
      return { detached };
    });
  } catch (error) {
    if (isLockTimeout(error)) return 'busy';
    throw error;
  }
}

/**
 * Step 2: the detached table's derived rows deleted batch by batch, then the table dropped. False
 * when the run was stopped first (the table stays for the next run).
 */
async function clearDetached(
  db: PgExecutor,
  table: LogTable,
  detached: string,
  hooks: PartitionPurgeHooks,
  count: (tenantId: string, rows: number) => void,
): Promise<boolean> {
  const time = `"${table.timeColumn}"`;
  const dependents = (table.dependentTables ?? []).map(
    (dependent, n) => `dependent_${n} AS (
      DELETE FROM ${dependent} d USING batch b
       WHERE d.tenant_id = b.tenant_id AND d.${table.dependentKey ?? 'log_id'} = b.id),`,
  );
  const statement = (after: string) => `
    WITH batch AS (
      SELECT tenant_id, ${time} AS at, id FROM "${detached}"
       ${after} ORDER BY tenant_id, ${time}, id LIMIT $2),
    gone AS (
      DELETE FROM "${detached}" r USING batch b
       WHERE r.tenant_id = b.tenant_id AND r.${time} = b.at AND r.id = b.id),
    claims AS (
      DELETE FROM ${table.keysTable} k USING batch b WHERE k.tenant_id = b.tenant_id AND k.id = b.id),
    ${dependents.join('\n')}
    leaves AS (
      DELETE FROM integrity_leaves l USING batch b
       WHERE l.tenant_id = b.tenant_id AND l.kind = $1 AND l.record_id = b.id)
    SELECT tenant_id, at, id FROM batch ORDER BY tenant_id, at, id`;
  const first = statement('');
  const next = statement(`WHERE (tenant_id, ${time}, id) > ($3, $4, $5)`);
  let last: { tenant_id: string; at: number; id: string } | undefined;
  for (;;) {
    if (!(await hooks.between())) return false;
    const rows: { tenant_id: string; at: number; id: string }[] =
      last === undefined
        ? await db.query(first, [table.kind, hooks.batchRows])
        : await db.query(next, [table.kind, hooks.batchRows, last.tenant_id, last.at, last.id]);
    const byTenant = new Map<string, number>();
    for (const row of rows) byTenant.set(row.tenant_id, (byTenant.get(row.tenant_id) ?? 0) + 1);
    for (const [tenantId, n] of byTenant) count(tenantId, n);
    last = rows.at(-1);
    if (rows.length < hooks.batchRows) break;
  }
  await db.query(`DROP TABLE "${detached}"`);
  return true;
}
