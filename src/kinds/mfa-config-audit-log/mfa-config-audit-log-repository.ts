import type { CountedPage, InsertOutcome, LogRows, OffsetWindow } from '../../domain/log-rows.js';
import { where, type Condition, type TotalPart } from '../../domain/conditions.js';
import { DAY_MS, MFA_CONFIG_AUDIT_LOG_TABLE, type MfaConfigAuditLog } from './mfa-config-audit-log-table.js';

/** Filters of an MFA audit-log list; times are epoch ms, `from` inclusive, `until` exclusive. */
export interface MfaConfigAuditLogFilter {
  tenantId?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  operatorId?: string | undefined;
  fromMs?: number | undefined;
  untilMs?: number | undefined;
}

/** The store port of MFA audit logs. */
export interface MfaConfigAuditLogRepository {
  /** All-or-nothing and idempotent, as CommunicationLogRepository.insertMany. */
  insertMany(logs: readonly MfaConfigAuditLog[]): Promise<InsertOutcome>;
  /** Newest first by (timestamp, id). */
  list(filter: MfaConfigAuditLogFilter, window: OffsetWindow): Promise<CountedPage<MfaConfigAuditLog>>;
}

/** The repository over a store's common rows: MFA logs need nothing a store must write for them. */
export function mfaConfigAuditLogRepository(rows: LogRows<MfaConfigAuditLog>): MfaConfigAuditLogRepository {
  return {
    insertMany: (logs) => rows.insertMany(logs),
    list: (filter, window) =>
      rows.list(mfaConfigAuditLogConditions(filter), mfaConfigAuditLogTotal(filter), window),
  };
}

/** The conditions of an MFA audit-log list: exact fields and the half-open [from, until) range. */
export function mfaConfigAuditLogConditions(filter: MfaConfigAuditLogFilter): Condition[] {
  const time = MFA_CONFIG_AUDIT_LOG_TABLE.timeColumn;
  return [
    where('tenant_id', '=', filter.tenantId),
    where('action', '=', filter.action),
    where('target_type', '=', filter.targetType),
    where('operator_id', '=', filter.operatorId),
    where(time, '>=', filter.fromMs),
    where(time, '<', filter.untilMs),
  ];
}

/**
 * How the `total` of an MFA audit-log list is counted. Without an operator filter the whole UTC
 * days inside [fromMs, untilMs) are summed from the tallies (tenant × day × action × target_type)
 * and only the partial days at either end are counted row by row; filters by date cover whole
 * days, so usually there are none. An operator's logs are few and counted through their index.
 */
export function mfaConfigAuditLogTotal(filter: MfaConfigAuditLogFilter): TotalPart[] {
  if (filter.operatorId !== undefined)
    return [{ source: 'rows', conditions: mfaConfigAuditLogConditions(filter) }];
  const { fromMs, untilMs } = filter;
  const firstDay = fromMs === undefined ? undefined : Math.ceil(fromMs / DAY_MS);
  const endDay = untilMs === undefined ? undefined : Math.floor(untilMs / DAY_MS);
  if (firstDay !== undefined && endDay !== undefined && firstDay >= endDay) {
    return [{ source: 'rows', conditions: mfaConfigAuditLogConditions(filter) }];
  }
  // The exact-field conditions name tally columns too; the time range becomes whole days.
  const exact = mfaConfigAuditLogConditions({ ...filter, fromMs: undefined, untilMs: undefined });
  const parts: TotalPart[] = [
    {
      source: 'tallies',
      table: 'mfa_config_audit_log_tallies',
      conditions: [...exact, where('day', '>=', firstDay), where('day', '<', endDay)],
    },
  ];
  const rows = (from: number, until: number): TotalPart => ({
    source: 'rows',
    conditions: mfaConfigAuditLogConditions({ ...filter, fromMs: from, untilMs: until }),
  });
  if (fromMs !== undefined && firstDay !== undefined && fromMs < firstDay * DAY_MS) {
    parts.push(rows(fromMs, firstDay * DAY_MS));
  }
  if (untilMs !== undefined && endDay !== undefined && endDay * DAY_MS < untilMs) {
    parts.push(rows(endDay * DAY_MS, untilMs));
  }
  return parts;
}
