import type { Condition } from '../../../domain/conditions.js';
import type { LogRow } from '../../../kinds/log-table.js';
import { chooseKeywordPlan, type KeywordPlan } from '../../keyword-plan.js';
import { whereClause, type SqliteFragment } from '../tables/sql-fragments.js';
import type { TableAccess } from '../tables/table-access.js';
import type { SearchReader } from './search-reader.js';
import { trigramPhrase } from './trigram-phrase.js';

/**
 * Keyset pages of operate logs narrowed by a `contains` condition on their search copy (key_words),
 * answered through the trigram index of the search file when the term is rare and by walking the
 * time index otherwise (storage/keyword-plan.ts). Whichever plan runs, the condition's LIKE
 * decides what matches, so both plans return the same rows.
 */
export class SqliteKeywordPages {
  /**
   * `search()` gives the search file's reader once the store is migrated; without one (before
   * migrate(), or an in-memory store, whose rows no worker can read) every search scans.
   */
  constructor(private readonly search: () => SearchReader | undefined) {}

  /**
   * Up to `limit` rows as stored (sealed) matching `conditions` (the keyset step included), one of
   * which is `contains` of `term`; newest first.
   */
  page<Row extends LogRow>(
    access: TableAccess<Row>,
    conditions: readonly Condition[],
    term: string,
    limit: number,
  ): Row[] {
    const indexer = this.search();
    if (indexer === undefined || this.choosePlan(term, indexer) === 'scan-time-index') {
      return access.page(conditions, undefined, limit);
    }
    // The trigram plan narrows the candidates to the index's matches plus the rows past its
    // watermark, read in one statement so that index and watermark agree. NOT INDEXED keeps the
    // planner from walking the tenant's whole time index instead of sorting the few candidates.
    const table = access.table.table;
    const candidates: SqliteFragment = {
      sql: `seq IN (SELECT rowid FROM search.${table}_fts WHERE ${table}_fts MATCH ?
                 UNION ALL SELECT seq FROM ${table}
                   WHERE seq > (SELECT indexed_through FROM search.search_index_state))`,
      params: [trigramPhrase(term)],
    };
    const where = whereClause(conditions, [candidates]);
    return indexer
      .prepare(
        `SELECT ${access.selectColumns} FROM ${table} NOT INDEXED ${where.sql}
            ORDER BY ${access.orderBy} LIMIT ?`,
      )
      .all(...where.params, limit) as Row[];
  }

  /** How a search for `term` is answered now (for tests and benchmarks; the index holds no tenant). */
  plan(term: string): KeywordPlan {
    return this.choosePlan(term, this.search());
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
