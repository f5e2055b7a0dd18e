import type { InsertOutcome, KeysetPosition } from '../../domain/log-rows.js';
import { contains, where, type Condition } from '../../domain/conditions.js';
import { OPERATE_LOG_TABLE, type OperateLog } from './operate-log-table.js';

/** Filters of an operate-log page; times are epoch ms, both ends inclusive. */
export interface OperateLogFilter {
  /** undefined: every tenant (a platform admin's read). */
  tenantId: string | undefined;
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

/**
 * The store port of operate logs: the common rows; a page's key_words (a `contains` condition on
 * the search copy) is searched each store's way.
 */
export interface OperateLogRepository {
  /** All-or-nothing and idempotent, as CommunicationLogRepository.insertMany. */
  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome>;
  /**
   * Up to `limit` rows newest first by (record_time, id), strictly after `after` when given.
   * Never counts: a page deep in the walk costs what the first one costs.
   */
  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]>;
}

/** The column key_words searches: operate_content's plaintext search copy (sealing.searchCopy). */
export const OPERATE_LOG_SEARCH_COLUMN = OPERATE_LOG_TABLE.sealing.searchCopy?.column ?? 'search_text';

/**
 * The conditions of an operate-log page: exact fields, the inclusive time range and key_words as
 * a `contains` of the search copy (each store answers it through its search index).
 */
export function operateLogConditions(filter: OperateLogFilter): Condition[] {
  return [
    contains(OPERATE_LOG_SEARCH_COLUMN, filter.keyWords),
    where('tenant_id', '=', filter.tenantId),
    where('record_time', '>=', filter.fromMs),
    where('record_time', '<=', filter.untilMs),
    where('operate_type', '=', filter.operateType),
    where('merchant_code', '=', filter.merchantCode),
  ];
}
