import type Database from 'better-sqlite3';
import type {
  InsertOutcome,
  OperateLogCursor,
  OperateLogFilter,
  OperateLogRepository,
} from '../../domain/audit-store.js';
import type { OperateLog } from '../../domain/records.js';
import { operateLogConditions, type FilterCondition } from '../filter-conditions.js';
import { asPromise } from './as-promise.js';
import { chooseKeywordPlan, containsPattern, type KeywordPlan } from '../keyword-plan.js';
import { trigramPhrase } from './trigram-phrase.js';
import type { SearchIndexer } from './search-indexer.js';
import { whereClause } from './sql-fragments.js';
import type { StoreWriter } from './store-writer.js';
import { OPERATE_LOG_TABLE, SELECT_COLUMNS } from './operate-log-table.js';
import { TableAccess } from './table-access.js';

export class SqliteOperateLogRepository implements OperateLogRepository {
  private readonly table: TableAccess<OperateLog>;

  /**
   * `search()` gives the trigram indexer once the store is migrated; without one (before
   * migrate(), or an in-memory store, whose rows no worker can read) every search scans. Reads
   * run on `db`; writes go to `writer` (see operate-log-writes.ts).
   */
  constructor(
    db: Database.Database,
    private readonly search: () => SearchIndexer | undefined,
    private readonly writer: StoreWriter,
  ) {
    this.table = new TableAccess(db, OPERATE_LOG_TABLE);
  }

  async insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    const outcome = await this.writer.run('insertOperateLogs', logs);
    await this.search()?.afterAppend();
    return outcome;
  }

  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]> {
    return asPromise(() => {
      const conditions = operateLogConditions(filter, after);
      const term = filter.keyWords;
      if (term === undefined) return this.select(undefined, 'operate_logs', conditions, limit);
      // LIKE decides what matches, whichever plan runs, so both plans return the same rows.
      conditions.push(["operate_content LIKE ? ESCAPE '\\'", containsPattern(term)]);
      const indexer = this.search();
      if (indexer === undefined || this.choosePlan(term, indexer) === 'scan-time-index') {
        return this.select(undefined, 'operate_logs', conditions, limit);
      }
      // The trigram plan narrows the candidates to the index's matches plus the rows past its
      // watermark, read in one statement so that index and watermark agree. NOT INDEXED keeps the
      // planner from walking the tenant's whole time index instead of sorting the few candidates.
      conditions.push([
        `seq IN (SELECT rowid FROM search.operate_logs_fts WHERE operate_logs_fts MATCH ?
                 UNION ALL SELECT seq FROM operate_logs
                   WHERE seq > (SELECT indexed_through FROM search.search_index_state))`,
        trigramPhrase(term),
      ]);
      return this.select(indexer, 'operate_logs NOT INDEXED', conditions, limit);
    });
  }

  keywordPlan(_tenantId: string, term: string): Promise<KeywordPlan> {
    return asPromise(() => this.choosePlan(term, this.search()));
  }

  /** Runs the page query through `indexer`'s reader when given (it sees the search file), else on the store. */
  private select(
    indexer: SearchIndexer | undefined,
    from: string,
    conditions: readonly FilterCondition[],
    limit: number,
  ): OperateLog[] {
    const where = whereClause(conditions);
    const sql = `SELECT ${SELECT_COLUMNS} FROM ${from} ${where.sql} ORDER BY record_time DESC, id DESC LIMIT ?`;
    const statement = indexer === undefined ? this.table.prepare(sql) : indexer.prepare(sql);
    return statement.all(...where.params, limit) as OperateLog[];
  }

  /** Counts trigram-index matches across all tenants (the index holds no tenant). */
  private choosePlan(term: string, indexer: SearchIndexer | undefined): KeywordPlan {
    if (indexer === undefined) return 'scan-time-index';
    return chooseKeywordPlan(term, (cap) => {
      const statement = indexer.prepare(
        'SELECT count(*) FROM (SELECT 1 FROM search.operate_logs_fts WHERE operate_logs_fts MATCH ? LIMIT ?)',
      );
      return statement.pluck().get(trigramPhrase(term), cap) as number;
    });
  }
}
