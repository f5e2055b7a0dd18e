import type { InsertOutcome, KeysetPosition } from '../../domain/log-rows.js';
import { where, type Condition } from '../../domain/conditions.js';
import type { OperateLog } from './operate-log-table.js';

/** Filters of an operate-log page; times are epoch ms, both ends inclusive. */
export interface OperateLogFilter {
  tenantId: string;
  fromMs?: number | undefined;
  untilMs?: number | undefined;
  operateType?: string | undefined;
  merchantCode?: string | undefined;
  /** Substring of operate_content, case-insensitive for ASCII letters; `%` and `_` are literal. */
  keyWords?: string | undefined;
}

/** Keyset position in the operate-log walk: the last row already returned. */
export interface OperateLogCursor {
  /** Epoch ms. */
  recordTime: number;
  id: string;
}

/** The cursor as a position in the common keyset walk; undefined stays undefined. */
export function keysetOf(cursor: OperateLogCursor | undefined): KeysetPosition | undefined {
  return cursor && { time: cursor.recordTime, id: cursor.id };
}

/** The store port of operate logs: the common rows and a substring search each store makes its way. */
export interface OperateLogRepository {
  /** All-or-nothing and idempotent, as CommunicationLogRepository.insertMany. */
  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome>;
  /**
   * Up to `limit` rows newest first by (record_time, id), strictly after `after` when given.
   * Never counts: a page deep in the walk costs what the first one costs.
   */
  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]>;
}

/**
 * The conditions of an operate-log page but key_words (each store searches its own way): exact
 * fields and the inclusive time range.
 */
export function operateLogConditions(filter: OperateLogFilter): Condition[] {
  return [
    where('tenant_id', '=', filter.tenantId),
    where('record_time', '>=', filter.fromMs),
    where('record_time', '<=', filter.untilMs),
    where('operate_type', '=', filter.operateType),
    where('merchant_code', '=', filter.merchantCode),
  ];
}
