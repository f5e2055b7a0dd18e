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
import type { KeywordPlan } from '../../keyword-plan.js';
import type { SqliteKeywordPages } from '../search/keyword-pages.js';
import type { SqliteLogRows } from './sqlite-log-rows.js';

/**
 * Operate logs on the embedded store: the common rows, whose pages answer key_words (a `contains`
 * condition) through the search file (see SqliteKeywordPages).
 */
export class SqliteOperateLogRepository implements OperateLogRepository {
  constructor(
    private readonly rows: SqliteLogRows<OperateLog>,
    private readonly keywords: SqliteKeywordPages,
  ) {}

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]> {
    return this.rows.page(operateLogConditions(filter), keysetOf(after), limit);
  }

  /** How a key_words search for `term` is answered now (for tests and benchmarks; the index holds no tenant). */
  keywordPlan(_tenantId: string, term: string): Promise<KeywordPlan> {
    return asPromise(() => this.keywords.plan(term));
  }
}
