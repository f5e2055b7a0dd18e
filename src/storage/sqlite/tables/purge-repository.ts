import type Database from 'better-sqlite3';
import type { LogTable } from '../../../kinds/log-table.js';
import type { PurgeReport, PurgeStore } from '../../../retention/purge-store.js';
import { fieldKeySubject } from '../../../sealing/personal-fields.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';
import { reportOf, type PurgeReportRow } from '../../purge-report-row.js';
import type { StoreWriter } from '../engine/store-writer.js';

/** Free pages one reclaim step gives back (about 8 MiB of 4 KiB pages): then ingest goes on. */
const RECLAIM_STEP_PAGES = 2048;

/**
 * The embedded store's side of a retention purge: reads on the event loop's connection, writes
 * through the writer (each batch one of its commands, group-committed with ingest).
 */
export class SqlitePurgeStore implements PurgeStore {
  private readonly statements: StatementCache;

  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    this.statements = new StatementCache(db);
  }

  claimPurgeLease(holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    return this.writer.run({ type: 'claim-purge-lease', holder, nowMs, untilMs });
  }

  async releasePurgeLease(holder: string): Promise<void> {
    await this.writer.run({ type: 'release-purge-lease', holder });
  }

  countExpired(table: LogTable, tenantId: string, cutoffMs: number): Promise<number> {
    return asPromise(
      () =>
        this.statements
          .prepare(`SELECT count(*) FROM ${table.table} WHERE tenant_id = ? AND "${table.timeColumn}" < ?`)
          .pluck()
          .get(tenantId, cutoffMs) as number,
    );
  }

  async purgeBatch(
    table: LogTable,
    tenantId: string,
    cutoffMs: number,
    limit: number,
    nowMs: number,
  ): Promise<number> {
    const batch = await this.writer.run({
      type: 'purge-batch',
      table: table.table,
      tenantId,
      cutoffMs,
      limit,
      nowMs,
    });
    if (batch.searchSeqs.length > 0) {
      await this.writer.run({ type: 'forget-search-entries', searchSeqs: batch.searchSeqs });
    }
    return batch.removed;
  }

  /** SQLite has no partitions: the row batches remove every expired row. */
  purgeExpiredPartitions(): Promise<Map<string, number>> {
    return Promise.resolve(new Map<string, number>());
  }

  oldestTime(table: LogTable, tenantId: string, fromMs?: number): Promise<number | undefined> {
    return asPromise(() => {
      const time = `"${table.timeColumn}"`;
      const oldest = this.statements
        .prepare(`SELECT min(${time}) FROM ${table.table} WHERE tenant_id = ? AND ${time} >= ?`)
        .pluck()
        .get(tenantId, fromMs ?? Number.MIN_SAFE_INTEGER) as number | null;
      return oldest ?? undefined;
    });
  }

  fieldKeyDays(tenantId: string, field: string): Promise<string[]> {
    const prefix = fieldKeySubject(field, '');
    return asPromise(() =>
      (
        this.statements
          .prepare(
            `SELECT DISTINCT subject FROM subject_keys
              WHERE tenant_id = ? AND subject >= ? AND subject < ? ORDER BY subject`,
          )
          .pluck()
          .all(tenantId, prefix, `${prefix}\uffff`) as string[]
      ).map((subject) => subject.slice(prefix.length)),
    );
  }

  async recordPurgeReports(reports: readonly PurgeReport[]): Promise<void> {
    if (reports.length > 0) await this.writer.run({ type: 'record-purge-reports', reports });
  }

  purgeReports(tenantId: string | undefined, limit: number): Promise<PurgeReport[]> {
    return asPromise(() => {
      const rows = (
        tenantId === undefined
          ? this.statements
              .prepare('SELECT * FROM purge_reports ORDER BY started_at DESC, tenant_id, kind LIMIT ?')
              .all(limit)
          : this.statements
              .prepare(
                'SELECT * FROM purge_reports WHERE tenant_id = ? ORDER BY started_at DESC, kind LIMIT ?',
              )
              .all(tenantId, limit)
      ) as PurgeReportRow[];
      return rows.map(reportOf);
    });
  }

  async reclaimSpace(): Promise<void> {
    // Which tables does not matter: the free pages are the file's.
    // Step by step, each a command of its own, so that writes go on between the steps.
    while ((await this.writer.run({ type: 'reclaim-space', pages: RECLAIM_STEP_PAGES })) > 0);
  }
}
