import type { HistogramBuckets } from '../../domain/audit-store.js';
import type { Condition } from '../../domain/conditions.js';
import type { LogRow } from '../../kinds/log-table.js';
import { chooseKeywordPlanAsync, containsPattern, isTooShort, type KeywordPlan } from '../keyword-plan.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import type { PgTableAccess } from './table-access.js';

/** Rows a key_words search reads along the time index before it counts index matches (see pageFromNewestRows). */
const PROBE_ROWS = 1000;
/**
 * Matches among those rows from which a histogram takes a term for common without probing: 2 %,
 * about COMMON_TERM_MATCHES in a tenant of 100,000 rows.
 */
const COMMON_AMONG_NEWEST = 20;

/**
 * Keyset pages of operate logs narrowed by a `contains` condition on their search copy (key_words).
 * The condition compiles to strpos (sql-fragments.ts), which decides what matches in every plan:
 * strpos rather than LIKE also because the planner cannot estimate it: it assumes a third of the
 * rows match, so the scan plan walks the time index and stops after `limit` matches instead of
 * sorting the whole tenant. Rare terms go through the trigram index (storage/keyword-plan.ts).
 */
export class PgKeywordPages {
  constructor(private readonly db: PgExecutor) {}

  /**
   * Up to `limit` rows as stored (sealed) matching `conditions` (the keyset step included), one of
   * which is `contains` of `term`; newest first.
   */
  async page<Row extends LogRow>(
    access: PgTableAccess<Row>,
    conditions: readonly Condition[],
    term: string,
    limit: number,
  ): Promise<Row[]> {
    const search = conditions.find((condition) => condition.op === 'contains');
    const column = search?.columns[0] ?? 'search_text';
    if (!isTooShort(term)) {
      const newest = await this.pageFromNewestRows(access, conditions, limit);
      if (newest.length === limit) return newest;
    }
    const plan = await this.plan(tenantOf(conditions), term);
    const sql = new SqlBuilder();
    // ILIKE is what the trigram index answers; the contains condition (strpos) decides, in both plans.
    const fragments =
      plan === 'trigram-index' ? [`"${column}" ILIKE ${sql.bind(containsPattern(term))}`] : [];
    // The trigram plan sorts its few matches: `+ 0` keeps the planner from walking the tenant's
    // whole time index instead. The scan plan cannot use the trigram index, so it walks the time
    // index and stops after `limit` matches.
    const time = `"${access.spec.timeColumn}"`;
    const order = plan === 'trigram-index' ? `${time} + 0 DESC, id DESC` : access.orderBy;
    return access.page(conditions, undefined, limit, sql, fragments, order);
  }

  /**
   * Rows per bucket (LogRows.histogram) matching `conditions`, one of which is `contains` of
   * `term`. A rare term (the probe of page()) adds the ILIKE the trigram index answers, so that the
   * planner counts the index's few matches instead of walking the tenant's range; a common or
   * short term is counted along the time index.
   */
  async histogram<Row extends LogRow>(
    access: PgTableAccess<Row>,
    conditions: readonly Condition[],
    term: string,
    buckets: HistogramBuckets,
  ): Promise<number[]> {
    // As page() does, a term common among the newest rows skips the probe, whose bitmap of every
    // match costs a common term more than counting along the time index does.
    if (isTooShort(term) || (await this.commonAmongNewest(access, conditions, buckets))) {
      return access.histogram(conditions, buckets);
    }
    const plan = await this.plan(tenantOf(conditions), term);
    if (plan !== 'trigram-index') return access.histogram(conditions, buckets);
    const column = conditions.find((condition) => condition.op === 'contains')?.columns[0] ?? 'search_text';
    return access.histogram(conditions, buckets, (sql) => [
      `"${column}" ILIKE ${sql.bind(containsPattern(term))}`,
    ]);
  }

  /**
   * Whether at least COMMON_AMONG_NEWEST of the newest PROBE_ROWS rows of the histogram's range that
   * pass the other filters match: a term that frequent has thousands of matches in any tenant
   * large enough for the choice to matter. Reads at most PROBE_ROWS rows along the time index.
   */
  private async commonAmongNewest<Row extends LogRow>(
    access: PgTableAccess<Row>,
    conditions: readonly Condition[],
    buckets: HistogramBuckets,
  ): Promise<boolean> {
    const sql = new SqlBuilder();
    const time = `"${access.spec.timeColumn}"`;
    const where = sql.where(
      conditions.filter((condition) => condition.op !== 'contains'),
      [`${time} >= ${sql.bind(buckets.fromMs)}::bigint AND ${time} < ${sql.bind(buckets.untilMs)}::bigint`],
    );
    const newestRows = `SELECT ${access.columnList} FROM ${access.spec.table} ${where}
      ORDER BY ${access.orderBy} LIMIT ${sql.bind(PROBE_ROWS)}`;
    const contains = sql.where(conditions.filter((condition) => condition.op === 'contains'));
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (${newestRows}) AS newest ${contains}`,
      sql.params,
    );
    return Number(row?.n ?? 0) >= COMMON_AMONG_NEWEST;
  }

  /**
   * The page of a key_words search drawn from the newest PROBE_ROWS rows that pass the other
   * filters: complete when it holds `limit` rows, since no older row can come before them. A
   * common term fills it in a few ms, whereas counting its trigram-index matches to choose a plan
   * builds a bitmap of all of them (about 130 ms for a term in a fifth of 2.7 million rows); GIN
   * scans cannot stop early as SQLite's FTS5 does. Rarer terms then go through plan().
   */
  private pageFromNewestRows<Row extends LogRow>(
    access: PgTableAccess<Row>,
    conditions: readonly Condition[],
    limit: number,
  ): Promise<Row[]> {
    const sql = new SqlBuilder();
    const where = sql.where(conditions.filter((condition) => condition.op !== 'contains'));
    const newestRows = `SELECT ${access.columnList} FROM ${access.spec.table} ${where}
      ORDER BY ${access.orderBy} LIMIT ${sql.bind(PROBE_ROWS)}`;
    const contains = sql.where(conditions.filter((condition) => condition.op === 'contains'));
    return this.db.query<Row>(
      `SELECT ${access.readList} FROM (${newestRows}) AS newest ${contains}
        ORDER BY ${access.orderBy} LIMIT ${sql.bind(limit)}`,
      sql.params,
    );
  }

  /**
   * Counts the tenant's trigram-index matches (up to the threshold) to tell rare from common (for
   * tests and benchmarks too). A search of every tenant (undefined) counts none: it takes the
   * trigram plan once the newest rows did not fill its page.
   */
  plan(tenantId: string | undefined, term: string): Promise<KeywordPlan> {
    return chooseKeywordPlanAsync(term, async (cap) => {
      if (tenantId === undefined) return 0;
      const [row] = await this.db.query<{ matches: number }>(
        'SELECT sealog_count_content_matches($1, $2, $3) AS matches',
        [tenantId, containsPattern(term), cap],
      );
      return row?.matches ?? 0;
    });
  }
}

/** The tenant an `=` condition on tenant_id names, if any. */
function tenantOf(conditions: readonly Condition[]): string | undefined {
  const tenant = conditions.find(
    (condition) =>
      condition.op === '=' && condition.columns.length === 1 && condition.columns[0] === 'tenant_id',
  );
  const value = tenant?.values[0];
  return typeof value === 'string' ? value : undefined;
}
