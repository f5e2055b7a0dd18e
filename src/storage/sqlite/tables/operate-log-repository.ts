import type { InsertOutcome } from '../../../domain/audit-store.js';
import {
  keysetOf,
  operateLogConditions,
  type OperateLogCursor,
  type OperateLogFilter,
  type OperateLogRepository,
} from '../../../kinds/operate-log/operate-log-repository.js';
import type { OperateLog } from '../../../kinds/operate-log/operate-log-table.js';
import { asPromise } from '../engine/as-promise.js';
import { chooseKeywordPlan, containsPattern, type KeywordPlan } from '../../keyword-plan.js';
import { trigramPhrase } from '../search/trigram-phrase.js';
import type { SearchReader } from '../search/search-reader.js';
import { whereClause, type SqliteFragment } from './sql-fragments.js';
import type { SqliteLogRows } from './sqlite-log-rows.js';

export class SqliteOperateLogRepository implements OperateLogRepository {
  /**
   * `search()` gives the search file's reader once the store is migrated; without one (before
   * migrate(), or an in-memory store, whose rows no worker can read) every search scans.
   */
  constructor(
    private readonly rows: SqliteLogRows<OperateLog>,
    private readonly search: () => SearchReader | undefined,
  ) {}

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  async page(
    filter: OperateLogFilter,
    after: OperateLogCursor | undefined,
    limit: number,
  ): Promise<OperateLog[]> {
    return this.rows.open(this.pageAsStored(filter, after, limit));
  }

  /** The page as stored (sealed): read synchronously, on the event loop's connection. */
  private pageAsStored(
    filter: OperateLogFilter,
    after: OperateLogCursor | undefined,
    limit: number,
  ): OperateLog[] {
    const { access } = this.rows;
    const conditions = [...operateLogConditions(filter), access.after(keysetOf(after))];
    const term = filter.keyWords;
    if (term === undefined) return access.page(conditions, undefined, limit);
    // LIKE decides what matches, whichever plan runs, so both plans return the same rows.
    const like: SqliteFragment = {
      sql: "search_text LIKE ? ESCAPE '\\'",
      params: [containsPattern(term)],
    };
    const indexer = this.search();
    if (indexer === undefined || this.choosePlan(term, indexer) === 'scan-time-index') {
      return access.page(conditions, undefined, limit, [like]);
    }
    // The trigram plan narrows the candidates to the index's matches plus the rows past its
    // watermark, read in one statement so that index and watermark agree. NOT INDEXED keeps the
    // planner from walking the tenant's whole time index instead of sorting the few candidates.
    const candidates: SqliteFragment = {
      sql: `seq IN (SELECT rowid FROM search.operate_logs_fts WHERE operate_logs_fts MATCH ?
                 UNION ALL SELECT seq FROM operate_logs
                   WHERE seq > (SELECT indexed_through FROM search.search_index_state))`,
      params: [trigramPhrase(term)],
    };
    const where = whereClause(conditions, [like, candidates]);
    return indexer
      .prepare(
        `SELECT ${access.selectColumns} FROM operate_logs NOT INDEXED ${where.sql}
            ORDER BY ${access.orderBy} LIMIT ?`,
      )
      .all(...where.params, limit) as OperateLog[];
  }

  /** How a key_words search for `term` is answered now (for tests and benchmarks; the index holds no tenant). */
  keywordPlan(_tenantId: string, term: string): Promise<KeywordPlan> {
    return asPromise(() => this.choosePlan(term, this.search()));
  }

  /** Counts trigram-index matches across all tenants (the index holds no tenant). */
  private choosePlan(term: string, indexer: SearchReader | undefined): KeywordPlan {
    if (indexer === undefined) return 'scan-time-index';
    return chooseKeywordPlan(term, (cap) => {
      const statement = indexer.prepare(
        'SELECT count(*) FROM (SELECT 1 FROM search.operate_logs_fts WHERE operate_logs_fts MATCH ? LIMIT ?)',
      );
      return statement.pluck().get(trigramPhrase(term), cap) as number;
    });
  }
}
