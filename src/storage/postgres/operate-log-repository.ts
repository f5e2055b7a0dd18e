import type { InsertOutcome } from '../../domain/audit-store.js';
import type { Condition } from '../../domain/conditions.js';
import {
  keysetOf,
  operateLogConditions,
  type OperateLogCursor,
  type OperateLogFilter,
  type OperateLogRepository,
} from '../../kinds/operate-log/operate-log-repository.js';
import type { OperateLog } from '../../kinds/operate-log/operate-log-table.js';
import { chooseKeywordPlanAsync, containsPattern, isTooShort, type KeywordPlan } from '../keyword-plan.js';
import type { PgExecutor } from './pg-executor.js';
import type { PgLogRows } from './pg-log-rows.js';
import { SqlBuilder } from './sql-fragments.js';

/**
 * Whether operate_content holds the term, with only ASCII letters folded: SQLite's LIKE (case-
 * insensitive for ASCII, exact for every other character), so both stores match the same rows
 * whatever the database's locale makes of ILIKE on other scripts. strpos rather than LIKE also
 * because the planner cannot estimate it: it assumes a third of the rows match, so the scan plan
 * walks the time index and stops after `limit` matches instead of sorting the whole tenant.
 */
function containsTerm(sql: SqlBuilder, term: string): string {
  // operate_content is sealed; search_text is its plaintext with A–Z folded already (row-sealer.ts).
  const folded = term.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  return `strpos(search_text, ${sql.bind(folded)}) > 0`;
}

/** Rows a key_words search reads along the time index before it counts index matches (see pageFromNewestRows). */
const PROBE_ROWS = 1000;

export class PgOperateLogRepository implements OperateLogRepository {
  constructor(
    private readonly db: PgExecutor,
    private readonly rows: PgLogRows<OperateLog>,
  ) {}

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  async page(
    filter: OperateLogFilter,
    after: OperateLogCursor | undefined,
    limit: number,
  ): Promise<OperateLog[]> {
    return this.rows.open(await this.pageAsStored(filter, after, limit));
  }

  /** The page as stored (sealed). */
  private async pageAsStored(
    filter: OperateLogFilter,
    after: OperateLogCursor | undefined,
    limit: number,
  ): Promise<OperateLog[]> {
    const { access } = this.rows;
    const conditions = [...operateLogConditions(filter), access.after(keysetOf(after))];
    const term = filter.keyWords;
    if (term === undefined) return access.page(conditions, undefined, limit);
    if (!isTooShort(term)) {
      const newest = await this.pageFromNewestRows(conditions, term, limit);
      if (newest.length === limit) return newest;
    }
    const plan = await this.keywordPlan(filter.tenantId, term);
    const sql = new SqlBuilder();
    // ILIKE is what the trigram index answers; containsTerm decides, in both plans.
    const fragments = [
      ...(plan === 'trigram-index' ? [`search_text ILIKE ${sql.bind(containsPattern(term))}`] : []),
      containsTerm(sql, term),
    ];
    // The trigram plan sorts its few matches: `+ 0` keeps the planner from walking the tenant's
    // whole time index instead. The scan plan cannot use the trigram index, so it walks the time
    // index and stops after `limit` matches.
    const order = plan === 'trigram-index' ? 'record_time + 0 DESC, id DESC' : access.orderBy;
    return access.page(conditions, undefined, limit, sql, fragments, order);
  }

  /**
   * The page of a key_words search drawn from the newest PROBE_ROWS rows that pass the other
   * filters: complete when it holds `limit` rows, since no older row can come before them. A
   * common term fills it in a few ms, whereas counting its trigram-index matches to choose a plan
   * builds a bitmap of all of them (about 130 ms for a term in a fifth of 2.7 million rows); GIN
   * scans cannot stop early as SQLite's FTS5 does. Rarer terms then go through keywordPlan.
   */
  private pageFromNewestRows(
    conditions: readonly Condition[],
    term: string,
    limit: number,
  ): Promise<OperateLog[]> {
    const { access } = this.rows;
    const sql = new SqlBuilder();
    const where = sql.where(conditions);
    const newestRows = `SELECT ${access.columnList} FROM operate_logs ${where}
      ORDER BY ${access.orderBy} LIMIT ${sql.bind(PROBE_ROWS)}`;
    const contains = containsTerm(sql, term);
    return this.db.query<OperateLog>(
      `SELECT ${access.readList} FROM (${newestRows}) AS newest WHERE ${contains}
        ORDER BY ${access.orderBy} LIMIT ${sql.bind(limit)}`,
      sql.params,
    );
  }

  /** Counts the tenant's trigram-index matches (up to the threshold) to tell rare from common (for tests and benchmarks too). */
  keywordPlan(tenantId: string, term: string): Promise<KeywordPlan> {
    return chooseKeywordPlanAsync(term, async (cap) => {
      const [row] = await this.db.query<{ matches: number }>(
        'SELECT sealog_count_content_matches($1, $2, $3) AS matches',
        [tenantId, containsPattern(term), cap],
      );
      return row?.matches ?? 0;
    });
  }
}
