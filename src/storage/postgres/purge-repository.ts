import type { LogTable } from '../../kinds/log-table.js';
import { monthStart } from './partitions.js';
import { reportOf, type PurgeReportRow } from '../purge-report-row.js';
import type { PartitionPurgeHooks, PurgeReport, PurgeStore } from '../../retention/purge-store.js';
import { fieldKeySubject } from '../../sealing/personal-fields.js';
import type { PgExecutor } from './pg-executor.js';
import {
  isLockTimeout,
  monthPartitions,
  purgeExpiredPartitions,
  type PgTransaction,
} from './partition-purge.js';
import { dropEmptyVolume, talliedColumns, talliedCtes } from './tally-writes.js';

/** How long dropping an emptied partition waits for its locks, ms. */
const DROP_LOCK_TIMEOUT_MS = 500;

/**
 * PostgreSQL's side of a retention purge. A batch is one statement: the oldest expired rows, their
 * transitions, id claims and leaf numbering deleted, their leaves recorded as pruned ranges and
 * their counts taken out of the tallies (talliedCtes); the trigram index follows through vacuum.
 */
export class PgPurgeStore implements PurgeStore {
  /**
   * @param transaction runs work in one transaction on one connection (PgPool.transaction); without
   * it (a bare executor) no partition is ever dropped.
   */
  constructor(
    private readonly db: PgExecutor,
    private readonly transaction?: PgTransaction,
    /** Vacuums (and analyzes) tables, outside any transaction and request timeout. */
    private readonly vacuum?: (tables: readonly string[]) => Promise<void>,
  ) {}

  async claimPurgeLease(holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO purge_lease AS lease (id, holder, expires_at) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE lease.holder = excluded.holder OR lease.expires_at <= $3
       RETURNING holder`,
      [holder, untilMs, nowMs],
    );
    return rows.length === 1;
  }

  async releasePurgeLease(holder: string): Promise<void> {
    await this.db.query('DELETE FROM purge_lease WHERE holder = $1', [holder]);
  }

  async countExpired(table: LogTable, tenantId: string, cutoffMs: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${table.table} WHERE tenant_id = $1 AND "${table.timeColumn}" < $2`,
      [tenantId, cutoffMs],
    );
    return row?.n ?? 0;
  }

  async purgeBatch(
    table: LogTable,
    tenantId: string,
    cutoffMs: number,
    limit: number,
    nowMs: number,
  ): Promise<number> {
    const time = `"${table.timeColumn}"`;
    const dependents = (table.dependentTables ?? []).map(
      (dependent, n) => `dependent_${n} AS (
        DELETE FROM ${dependent} d USING gone g
         WHERE d.tenant_id = $1 AND d.${table.dependentKey ?? 'log_id'} = g.id)`,
    );
    const gone = ['id', ...talliedColumns(table)].map((column) => `t."${column}"`).join(', ');
    const [row] = await this.db.query<{ removed: number }>(
      `WITH doomed AS (
         SELECT id, ${time} AS at FROM ${table.table}
          WHERE tenant_id = $1 AND ${time} < $2 ORDER BY ${time}, id LIMIT $3),
       gone AS (
         DELETE FROM ${table.table} t USING doomed d
          WHERE t.tenant_id = $1 AND t.id = d.id AND t.${time} = d.at RETURNING ${gone}),
       ${talliedCtes(table, 'gone', '-1').join(',\n')},
       claims AS (
         DELETE FROM ${table.keysTable} k USING gone g WHERE k.tenant_id = $1 AND k.id = g.id),
       ${dependents.map((cte) => `${cte},`).join('\n')}
       leaves AS (
         DELETE FROM integrity_leaves l USING gone g
          WHERE l.tenant_id = $1 AND l.kind = $4 AND l.record_id = g.id RETURNING l.leaf_index),
       runs AS (
         SELECT leaf_index - row_number() OVER (ORDER BY leaf_index) AS run, leaf_index FROM leaves),
       pruned AS (
         INSERT INTO integrity_pruned (tenant_id, kind, first_leaf, end_leaf, pruned_at)
         SELECT $1, $4, min(leaf_index), max(leaf_index) + 1, $5 FROM runs GROUP BY run)
       SELECT count(*) AS removed FROM gone`,
      [tenantId, cutoffMs, limit, table.kind, nowMs],
    );
    const dropEmpty = dropEmptyVolume(table);
    if (dropEmpty !== undefined) await this.db.query(dropEmpty, [tenantId]);
    return row?.removed ?? 0;
  }

  async purgeExpiredPartitions(
    table: LogTable,
    tenants: readonly string[],
    cutoffMs: number,
    nowMs: number,
    hooks: PartitionPurgeHooks,
  ): Promise<Map<string, number>> {
    if (this.transaction === undefined) return new Map();
    return purgeExpiredPartitions(this.db, this.transaction, table, tenants, cutoffMs, nowMs, hooks);
  }

  async oldestTime(table: LogTable, tenantId: string, fromMs?: number): Promise<number | undefined> {
    const time = `"${table.timeColumn}"`;
    const [row] = await this.db.query<{ oldest: number | null }>(
      `SELECT min(${time}) AS oldest FROM ${table.table} WHERE tenant_id = $1 AND ${time} >= $2`,
      [tenantId, fromMs ?? Number.MIN_SAFE_INTEGER],
    );
    return row?.oldest ?? undefined;
  }

  async fieldKeyDays(tenantId: string, field: string): Promise<string[]> {
    const prefix = fieldKeySubject(field, '');
    const rows = await this.db.query<{ subject: string }>(
      `SELECT DISTINCT subject FROM subject_keys
        WHERE tenant_id = $1 AND subject >= $2 AND subject < $3 ORDER BY subject`,
      [tenantId, prefix, `${prefix}\uffff`],
    );
    return rows.map((row) => row.subject.slice(prefix.length));
  }

  async recordPurgeReports(reports: readonly PurgeReport[]): Promise<void> {
    if (reports.length === 0) return;
    const column = <K extends keyof PurgeReport>(key: K) => reports.map((report) => report[key] ?? null);
    await this.db.query(
      `INSERT INTO purge_reports
         (run_id, tenant_id, kind, started_at, cutoff, removed, oldest_kept, duration_ms, dry_run)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                            $6::bigint[], $7::bigint[], $8::bigint[], $9::boolean[])`,
      [
        column('runId'),
        column('tenantId'),
        column('kind'),
        column('startedAt'),
        column('cutoff'),
        column('removed'),
        column('oldestKept'),
        column('durationMs'),
        reports.map((report) => (report.dryRun ? 'true' : 'false')),
      ],
    );
  }

  async purgeReports(tenantId: string | undefined, limit: number): Promise<PurgeReport[]> {
    const rows =
      tenantId === undefined
        ? await this.db.query<PurgeReportRow>(
            'SELECT * FROM purge_reports ORDER BY started_at DESC, tenant_id, kind LIMIT $1',
            [limit],
          )
        : await this.db.query<PurgeReportRow>(
            'SELECT * FROM purge_reports WHERE tenant_id = $1 ORDER BY started_at DESC, kind LIMIT $2',
            [tenantId, limit],
          );
    return rows.map(reportOf);
  }

  /**
   * Drops the month partitions the purge emptied: a DELETE leaves a table's files their size (a
   * vacuum only makes the space reusable), a dropped partition gives it back. Only partitions
   * wholly before the current month (never the default one), each checked empty under its own
   * lock and dropped in the same transaction, with a short lock timeout: when running queries hold
   * the log table, that partition waits for the next run rather than holding writes back.
   */
  async reclaimSpace(tables: readonly LogTable[]): Promise<void> {
    const currentMonth = monthStart(Date.now());
    for (const table of tables) {
      for (const { name, toMs } of await monthPartitions(this.db, table)) {
        if (toMs > currentMonth) break;
        await this.dropIfEmpty(name);
      }
      await this.vacuum?.([table.table, table.keysTable, ...(table.dependentTables ?? [])]);
    }
  }

  private async dropIfEmpty(partition: string): Promise<void> {
    const run = this.transaction;
    if (run === undefined) return;
    await run(async (db) => {
      await db.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT_MS}ms'`);
      try {
        await db.query(`LOCK TABLE "${partition}" IN ACCESS EXCLUSIVE MODE`);
        const [row] = await db.query<{ empty: boolean }>(
          `SELECT NOT EXISTS (SELECT 1 FROM "${partition}") AS empty`,
        );
        if (row?.empty === true) await db.query(`DROP TABLE "${partition}"`);
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
      }
    });
  }
}
