import type {
  InsertOutcome,
  OperateLogCursor,
  OperateLogFilter,
  OperateLogRepository,
} from '../../domain/audit-store.js';
import type { OperateLog } from '../../domain/records.js';
import { chooseKeywordPlanAsync, containsPattern, isTooShort, type KeywordPlan } from '../keyword-plan.js';
import { operateLogConditions, type FilterCondition } from '../filter-conditions.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import { PgTableAccess } from './table-access.js';

/**
 * Whether operate_content holds the term, with only ASCII letters folded: SQLite's LIKE (case-
 * insensitive for ASCII, exact for every other character), so both stores match the same rows
 * whatever the database's locale makes of ILIKE on other scripts. strpos rather than LIKE also
 * because the planner cannot estimate it: it assumes a third of the rows match, so the scan plan
 * walks the time index and stops after `limit` matches instead of sorting the whole tenant.
 */
const CONTAINS_TERM = `strpos(translate(operate_content, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ?) > 0`;

/** Rows a key_words search reads along the time index before it counts index matches (see pageFromNewestRows). */
const PROBE_ROWS = 1000;

const lowerAscii = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

export class PgOperateLogRepository implements OperateLogRepository {
  private readonly table: PgTableAccess<OperateLog>;
  private readonly selectColumns: string;

  constructor(
    private readonly db: PgExecutor,
    partitions: PartitionKeeper,
  ) {
    this.table = new PgTableAccess(db, partitions, {
      table: 'operate_logs',
      keysTable: 'operate_log_keys',
      timeColumn: 'record_time',
      columns: [
        ['tenant_id', 'text'],
        ['id', 'text'],
        ['record_time', 'bigint'],
        ['uid', 'text'],
        ['username', 'text'],
        ['operate_type', 'text'],
        ['operate_content', 'text'],
        ['user_id', 'text'],
        ['role', 'text'],
        ['account', 'text'],
        ['operate_geo_info', 'text'],
        ['operate_ip_info', 'text'],
        ['client_id', 'text'],
        ['merchant_code', 'text'],
        ['ext', 'text'],
        ['project_code', 'text'],
      ],
      orderBy: 'record_time DESC, id DESC',
    });
    this.selectColumns = this.table.spec.columns.map(([column]) => column).join(', ');
  }

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return this.table.insertMany(logs);
  }

  async page(
    filter: OperateLogFilter,
    after: OperateLogCursor | undefined,
    limit: number,
  ): Promise<OperateLog[]> {
    const conditions: FilterCondition[] = operateLogConditions(filter, after);
    let plan: KeywordPlan | undefined;
    if (filter.keyWords !== undefined) {
      if (!isTooShort(filter.keyWords)) {
        const newest = await this.pageFromNewestRows(conditions, filter.keyWords, limit);
        if (newest.length === limit) return newest;
      }
      plan = await this.keywordPlan(filter.tenantId, filter.keyWords);
      // ILIKE is what the trigram index answers; CONTAINS_TERM decides, in both plans.
      if (plan === 'trigram-index')
        conditions.push(['operate_content ILIKE ?', containsPattern(filter.keyWords)]);
      conditions.push([CONTAINS_TERM, lowerAscii(filter.keyWords)]);
    }
    // The trigram plan sorts its few matches: `+ 0` keeps the planner from walking the tenant's
    // whole time index instead. The scan plan cannot use the trigram index, so it walks the time
    // index and stops after `limit` matches.
    const order = plan === 'trigram-index' ? 'record_time + 0 DESC, id DESC' : 'record_time DESC, id DESC';
    const sql = new SqlBuilder();
    const where = sql.where(conditions);
    return this.db.query<OperateLog>(
      `SELECT ${this.selectColumns} FROM operate_logs ${where} ORDER BY ${order} LIMIT ${sql.bind(limit)}`,
      sql.params,
    );
  }

  /**
   * The page of a key_words search drawn from the newest PROBE_ROWS rows that pass the other
   * filters: complete when it holds `limit` rows, since no older row can come before them. A
   * common term fills it in a few ms, whereas counting its trigram-index matches to choose a plan
   * builds a bitmap of all of them (about 130 ms for a term in a fifth of 2.7 million rows); GIN
   * scans cannot stop early as SQLite's FTS5 does. Rarer terms then go through keywordPlan.
   */
  private pageFromNewestRows(
    conditions: FilterCondition[],
    term: string,
    limit: number,
  ): Promise<OperateLog[]> {
    const sql = new SqlBuilder();
    const where = sql.where(conditions);
    const newestRows = `SELECT ${this.selectColumns} FROM operate_logs ${where}
      ORDER BY record_time DESC, id DESC LIMIT ${sql.bind(PROBE_ROWS)}`;
    const contains = sql.where([[CONTAINS_TERM, lowerAscii(term)]]);
    return this.db.query<OperateLog>(
      `SELECT ${this.selectColumns} FROM (${newestRows}) AS newest ${contains}
        ORDER BY record_time DESC, id DESC LIMIT ${sql.bind(limit)}`,
      sql.params,
    );
  }

  /** Counts the tenant's trigram-index matches (up to the threshold) to tell rare from common. */
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
