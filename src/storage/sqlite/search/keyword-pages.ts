import type { HistogramBuckets } from '../../../domain/audit-store.js';
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
    // NOT INDEXED keeps the planner from walking the tenant's whole time index instead of sorting
    // the few candidates.
    const table = access.table.table;
    const where = whereClause(conditions, [candidates(table, term)]);
    return indexer
      .prepare(
        `SELECT ${access.selectColumns} FROM ${table} NOT INDEXED ${where.sql}
            ORDER BY ${access.orderBy} LIMIT ?`,
      )
      .all(...where.params, limit) as Row[];
  }

  /**
   * Rows per bucket (LogRows.histogram) matching `conditions`, one of which is `contains` of
   * `term`: a rare term counts the trigram index's candidates, a common one (or one too short for
   * trigrams) counts the rows in range through the time index, as page() chooses.
   */
  histogram<Row extends LogRow>(
    access: TableAccess<Row>,
    conditions: readonly Condition[],
    term: string,
    buckets: HistogramBuckets,
  ): number[] {
    const indexer = this.search();
    if (indexer === undefined || this.choosePlan(term, indexer) === 'scan-time-index') {
      return access.histogram(conditions, buckets);
    }
    const table = access.table.table;
    return access.countBuckets(conditions, buckets, {
      fragment: candidates(table, term),
      prepare: (sql) => indexer.prepare(sql),
      from: `${table} NOT INDEXED`,
    });
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

/**
 * The rows of `table` the trigram plan considers for `term`: the index's matches plus the rows past
 * its watermark, read in one statement so that index and watermark agree.
 */
function candidates(table: string, term: string): SqliteFragment {
  return {
    sql: `seq IN (SELECT rowid FROM search.${table}_fts WHERE ${table}_fts MATCH ?
               UNION ALL SELECT seq FROM ${table}
                 WHERE seq > (SELECT indexed_through FROM search.search_index_state))`,
    params: [trigramPhrase(term)],
  };
}
