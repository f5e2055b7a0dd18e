import type { CommunicationLogFilter, MfaConfigAuditLogFilter } from '../domain/audit-store.js';
import {
  communicationLogConditions,
  mfaConfigAuditLogConditions,
  type FilterCondition,
} from './filter-conditions.js';

/** One UTC day in ms: the bucket of the MFA tallies (date filters mostly cover whole UTC days). */
export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms instant, counted from 1970-01-01 (negative before it). */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/**
 * One addend of a counted list's `total`: a sum of `n` over a tally table (row counts per tenant
 * and filter value, kept in every write's transaction) or a count of the matching log rows. Both
 * stores have the same tally tables and columns.
 */
export type TotalPart =
  | { source: 'tallies'; table: TallyTable; conditions: FilterCondition[] }
  | { source: 'rows'; conditions: FilterCondition[] };

export type TallyTable = 'communication_log_tallies' | 'mfa_config_audit_log_tallies';

/**
 * How the `total` of a communication-log list is counted. Without a user filter every condition
 * is a tally column, so the total is a sum over at most (channels × statuses) rows per tenant
 * instead of a count of millions; a user's logs are few and counted through their index.
 */
export function communicationLogTotal(filter: CommunicationLogFilter): TotalPart[] {
  const conditions = communicationLogConditions(filter);
  if (filter.userId !== undefined) return [{ source: 'rows', conditions }];
  return [{ source: 'tallies', table: 'communication_log_tallies', conditions }];
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
      conditions: [...exact, ['day >= ?', firstDay], ['day < ?', endDay]],
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
