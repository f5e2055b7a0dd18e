import type { AuditStore, CountedPage, InsertOutcome } from '../../domain/audit-store.js';
import { InvalidInputError } from '../../domain/errors.js';
import { parseOptionalTime, resolveBatch } from '../../domain/ingest-batch.js';
import { toLimitOffset } from '../../domain/paging.js';
import type { Principal } from '../../domain/principal.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE, type MfaConfigAuditLog } from './mfa-config-audit-log-table.js';
import { adminReadScope } from '../../domain/tenancy.js';
import { endOfUtcDayExclusive, parseUtcDate } from '../../domain/time.js';

/** An MFA audit log as a writer sends it; `timestamp` is RFC 3339 and defaults to now. */
export interface MfaConfigAuditLogInput {
  id?: string | undefined;
  tenant_id?: string | undefined;
  action: string;
  target_type: string;
  target_id?: string | undefined;
  operator_id: string;
  module?: string | undefined;
  message?: string | undefined;
  timestamp?: string | undefined;
}

/** Filters of GET /admin/mfa/config-audit-logs; dates are YYYY-MM-DD in UTC, both days inclusive. */
export interface MfaConfigAuditLogQuery {
  tenant_id?: string | undefined;
  action?: string | undefined;
  target_type?: string | undefined;
  operator_id?: string | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
  page: number;
  page_size: number;
}

export class MfaConfigAuditLogService {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admins only; newest first by timestamp. Impossible dates and start after end are InvalidInputError. */
  list(principal: Principal, query: MfaConfigAuditLogQuery): Promise<CountedPage<MfaConfigAuditLog>> {
    const scope = adminReadScope(principal, query.tenant_id);
    const fromMs = parseDateParameter('start_date', query.start_date);
    const endDayMs = parseDateParameter('end_date', query.end_date);
    if (fromMs !== undefined && endDayMs !== undefined && fromMs > endDayMs) {
      throw new InvalidInputError(
        `start_date ${query.start_date ?? ''} is after end_date ${query.end_date ?? ''}: start_date must not be later`,
      );
    }
    return this.store.mfaConfigAuditLogs.list(
      {
        tenantId: scope.tenantId,
        action: query.action,
        targetType: query.target_type,
        operatorId: query.operator_id,
        fromMs,
        untilMs: endDayMs === undefined ? undefined : endOfUtcDayExclusive(endDayMs),
      },
      toLimitOffset(query.page, query.page_size),
    );
  }

  /** Stores a batch all-or-nothing; ids already stored are skipped, so retries are safe. */
  ingest(principal: Principal, records: readonly MfaConfigAuditLogInput[]): Promise<InsertOutcome> {
    const nowMs = this.now();
    const logs = resolveBatch(principal, records, MFA_CONFIG_AUDIT_LOG_TABLE.idPrefix, nowMs).map(
      ({ record, index, tenantId, id }): MfaConfigAuditLog => ({
        tenant_id: tenantId,
        id,
        action: record.action,
        target_type: record.target_type,
        target_id: record.target_id ?? '',
        operator_id: record.operator_id,
        module: record.module ?? '',
        message: record.message ?? '',
        timestamp: parseOptionalTime(record.timestamp, `record ${index}: timestamp`, nowMs),
      }),
    );
    return this.store.mfaConfigAuditLogs.insertMany(logs);
  }
}

function parseDateParameter(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseUtcDate(value);
  if (parsed === undefined) {
    throw new InvalidInputError(
      `${name} must be a real calendar date as YYYY-MM-DD, e.g. 2026-05-15 (got "${value}")`,
    );
  }
  return parsed;
}
