import type {
  CommunicationLogFilter,
  MfaConfigAuditLogFilter,
  OperateLogCursor,
  OperateLogFilter,
} from '../domain/audit-store.js';

/**
 * One WHERE condition as both dialects take it: SQL with `?` for each parameter, then the values.
 * An undefined value is a filter the caller did not ask for: the condition is left out.
 */
export type FilterCondition = readonly [string, ...(string | number | undefined)[]];

/** The conditions of a communication-log list (the columns are the same on every store). */
export function communicationLogConditions(filter: CommunicationLogFilter): FilterCondition[] {
  return [
    ['tenant_id = ?', filter.tenantId],
    ['user_id = ?', filter.userId],
    ['channel = ?', filter.channel],
    ['status = ?', filter.status],
  ];
}

/** The conditions of an MFA audit-log list: exact fields and the half-open [from, until) range. */
export function mfaConfigAuditLogConditions(filter: MfaConfigAuditLogFilter): FilterCondition[] {
  return [
    ['tenant_id = ?', filter.tenantId],
    ['action = ?', filter.action],
    ['target_type = ?', filter.targetType],
    ['operator_id = ?', filter.operatorId],
    ['"timestamp" >= ?', filter.fromMs],
    ['"timestamp" < ?', filter.untilMs],
  ];
}

/**
 * The conditions of an operate-log page but key_words (each store searches its own way): exact
 * fields, the inclusive time range and the keyset position strictly after `after`.
 */
export function operateLogConditions(
  filter: OperateLogFilter,
  after: OperateLogCursor | undefined,
): FilterCondition[] {
  const conditions: FilterCondition[] = [
    ['tenant_id = ?', filter.tenantId],
    ['record_time >= ?', filter.fromMs],
    ['record_time <= ?', filter.untilMs],
    ['operate_type = ?', filter.operateType],
    ['merchant_code = ?', filter.merchantCode],
  ];
  if (after) conditions.push(['(record_time, id) < (?, ?)', after.recordTime, after.id]);
  return conditions;
}
