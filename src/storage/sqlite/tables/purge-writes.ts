import type Database from 'better-sqlite3';
import type { LogTable } from '../../../kinds/log-table.js';
import { OPERATE_LOG_TABLE } from '../../../kinds/operate-log/operate-log-table.js';
import type { PurgeReport } from '../../../retention/purge-store.js';
import { StatementCache } from '../engine/statement-cache.js';

/** What one purge batch removed, and the search entries to forget after its commit. */
export interface PurgedBatch {
  removed: number;
  /** seq of the operate logs removed: their trigram entries go from the search file. */
  searchSeqs: number[];
}

/** [first, end) runs of consecutive numbers in `sorted` (ascending, distinct). */
export function runsOf(sorted: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const value of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === value) last[1] = value + 1;
    else runs.push([value, value + 1]);
  }
  return runs;
}

/**
 * A retention purge's writes on the writing connection `db`, each inside the writer's transaction:
 * the lease, a batch of expired rows with everything derived from them, the run's reports.
 * Tallies follow the deletes through the tables' triggers.
 */
export function purgeWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  return {
    claimLease(holder: string, nowMs: number, untilMs: number): boolean {
      const taken = statements
        .prepare(
          `INSERT INTO purge_lease (id, holder, expires_at) VALUES (1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE purge_lease.holder = excluded.holder OR purge_lease.expires_at <= ?`,
        )
        .run(holder, untilMs, nowMs);
      return taken.changes === 1;
    },
    releaseLease(holder: string): void {
      statements.prepare('DELETE FROM purge_lease WHERE holder = ?').run(holder);
    },
    purgeBatch(
      table: LogTable,
      tenantId: string,
      cutoffMs: number,
      limit: number,
      nowMs: number,
    ): PurgedBatch {
      const time = `"${table.timeColumn}"`;
      const doomed = statements
        .prepare(
          `SELECT rowid AS row, id FROM ${table.table}
            WHERE tenant_id = ? AND ${time} < ? ORDER BY ${time}, id LIMIT ?`,
        )
        .all(tenantId, cutoffMs, limit) as { row: number; id: string }[];
      if (doomed.length === 0) return { removed: 0, searchSeqs: [] };
      const ids = JSON.stringify(doomed.map((row) => row.id));
      const leaves = statements
        .prepare(
          `DELETE FROM integrity_leaves
            WHERE tenant_id = ? AND kind = ? AND record_id IN (SELECT value FROM json_each(?))
           RETURNING leaf_index`,
        )
        .pluck()
        .all(tenantId, table.kind, ids) as number[];
      const prune = statements.prepare(
        'INSERT INTO integrity_pruned (tenant_id, kind, first_leaf, end_leaf, pruned_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const [first, end] of runsOf(leaves.sort((a, b) => a - b))) {
        prune.run(tenantId, table.kind, first, end, nowMs);
      }
      for (const dependent of table.dependentTables ?? []) {
        statements
          .prepare(
            `DELETE FROM ${dependent}
              WHERE tenant_id = ? AND ${table.dependentKey ?? 'log_id'} IN (SELECT value FROM json_each(?))`,
          )
          .run(tenantId, ids);
      }
      const rows = JSON.stringify(doomed.map((row) => row.row));
      statements
        .prepare(`DELETE FROM ${table.table} WHERE rowid IN (SELECT value FROM json_each(?))`)
        .run(rows);
      // An operate log's rowid is its seq, the key of its trigram entry.
      const searchSeqs = table.table === OPERATE_LOG_TABLE.table ? doomed.map((row) => row.row) : [];
      return { removed: doomed.length, searchSeqs };
    },
    recordReports(reports: readonly PurgeReport[]): void {
      const insert = statements.prepare(
        `INSERT INTO purge_reports
           (run_id, tenant_id, kind, started_at, cutoff, removed, oldest_kept, duration_ms, dry_run)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const report of reports) {
        insert.run(
          report.runId,
          report.tenantId,
          report.kind,
          report.startedAt,
          report.cutoff,
          report.removed,
          report.oldestKept ?? null,
          report.durationMs,
          report.dryRun ? 1 : 0,
        );
      }
    },
  };
}

/**
 * Gives up to `pages` free pages back to the file system when the store was made with incremental
 * vacuum (every store sealog creates; an older file keeps its free pages and fills them with new
 * rows instead). Returns the free pages left.
 */
export function reclaimSpace(db: Database.Database, pages: number): number {
  if (db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
  db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
  return db.pragma('freelist_count', { simple: true }) as number;
}
