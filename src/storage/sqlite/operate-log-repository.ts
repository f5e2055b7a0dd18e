import type Database from 'better-sqlite3';
import type {
  InsertOutcome,
  OperateLogCursor,
  OperateLogFilter,
  OperateLogRepository,
} from '../audit-store.js';
import type { OperateLog } from '../../domain/records.js';
import { operateLogConditions, type FilterCondition } from '../filter-conditions.js';
import { asPromise } from './as-promise.js';
import type { GroupCommit } from './group-commit.js';
import { chooseKeywordPlan, containsPattern, type KeywordPlan } from '../keyword-plan.js';
import { trigramPhrase } from './trigram-phrase.js';
import type { SearchIndexer } from './search-indexer.js';
import { whereClause } from './sql-fragments.js';
import { TableAccess } from './table-access.js';

/** The columns of operate_logs (without its internal seq), in insert order. */
export const OPERATE_LOG_COLUMNS = [
  'tenant_id',
  'id',
  'record_time',
  'uid',
  'username',
  'operate_type',
  'operate_content',
  'user_id',
  'role',
  'account',
  'operate_geo_info',
  'operate_ip_info',
  'client_id',
  'merchant_code',
  'ext',
  'project_code',
] as const satisfies ReadonlyArray<keyof OperateLog>;

const SELECT_COLUMNS = OPERATE_LOG_COLUMNS.join(', ');

export class SqliteOperateLogRepository implements OperateLogRepository {
  private readonly table: TableAccess<OperateLog>;

  constructor(
    private readonly db: Database.Database,
    private readonly indexer: SearchIndexer,
    private readonly writes: GroupCommit,
  ) {
    this.table = new TableAccess(db, {
      table: 'operate_logs',
      columns: OPERATE_LOG_COLUMNS,
      orderBy: 'record_time DESC, id DESC',
    });
  }

  async insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    const outcome = await this.writes.run(() => this.table.insertMany(logs));
    this.indexer.keepUp();
    this.indexer.schedule();
    return outcome;
  }

  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]> {
    return asPromise(() => {
      const conditions = operateLogConditions(filter, after);
      const search = filter.keyWords === undefined ? undefined : this.keywordSearch(filter.keyWords);
      if (search) conditions.push(...search.conditions);
      const where = whereClause(conditions);
      // With the trigram plan the few matching rows are fetched by seq and sorted; NOT INDEXED keeps
      // the planner from walking the tenant's whole time index instead.
      const from = search?.plan === 'trigram-index' ? 'operate_logs NOT INDEXED' : 'operate_logs';
      return this.table
        .prepare(
          `SELECT ${SELECT_COLUMNS} FROM ${from} ${where.sql} ORDER BY record_time DESC, id DESC LIMIT ?`,
        )
        .all(...where.params, limit) as OperateLog[];
    });
  }

  keywordPlan(_tenantId: string, term: string): Promise<KeywordPlan> {
    return asPromise(() => this.choosePlan(term));
  }

  /** Counts trigram-index matches across all tenants (the FTS index holds no tenant). */
  private choosePlan(term: string): KeywordPlan {
    return chooseKeywordPlan(term, (cap) => {
      const row = this.table
        .prepare(
          'SELECT count(*) AS matches FROM (SELECT 1 FROM operate_logs_fts WHERE operate_logs_fts MATCH ? LIMIT ?)',
        )
        .get(trigramPhrase(term), cap) as { matches: number };
      return row.matches;
    });
  }

  /**
   * LIKE decides what matches, whichever plan runs, so both plans return the same rows. The
   * trigram plan narrows the candidates to the index's matches plus the rows it has not reached yet.
   */
  private keywordSearch(term: string): { plan: KeywordPlan; conditions: FilterCondition[] } {
    const like: FilterCondition = ["operate_content LIKE ? ESCAPE '\\'", containsPattern(term)];
    const plan = this.choosePlan(term);
    if (plan === 'scan-time-index') return { plan, conditions: [like] };
    const candidates: FilterCondition = [
      `seq IN (SELECT rowid FROM operate_logs_fts WHERE operate_logs_fts MATCH ?
               UNION ALL SELECT seq FROM operate_logs WHERE seq > ?)`,
      trigramPhrase(term),
      this.indexer.indexedThrough(),
    ];
    return { plan, conditions: [candidates, like] };
  }
}
