import type { InsertOutcome } from '../../domain/audit-store.js';
import {
  keysetOf,
  operateLogConditions,
  type OperateLogCursor,
  type OperateLogFilter,
  type OperateLogRepository,
} from '../../kinds/operate-log/operate-log-repository.js';
import type { OperateLog } from '../../kinds/operate-log/operate-log-table.js';
import type { KeywordPlan } from '../keyword-plan.js';
import type { PgKeywordPages } from './keyword-pages.js';
import type { PgLogRows } from './pg-log-rows.js';

/**
 * Operate logs on PostgreSQL: the common rows, whose pages answer key_words (a `contains`
 * condition) through the trigram index when the term is rare (see PgKeywordPages).
 */
export class PgOperateLogRepository implements OperateLogRepository {
  constructor(
    private readonly rows: PgLogRows<OperateLog>,
    private readonly keywords: PgKeywordPages,
  ) {}

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]> {
    return this.rows.page(operateLogConditions(filter), keysetOf(after), limit);
  }

  /** Counts the tenant's trigram-index matches (up to the threshold) to tell rare from common (for tests and benchmarks too). */
  keywordPlan(tenantId: string, term: string): Promise<KeywordPlan> {
    return this.keywords.plan(tenantId, term);
  }
}
