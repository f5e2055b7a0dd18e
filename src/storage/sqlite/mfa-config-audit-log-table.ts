import type { MfaConfigAuditLog } from '../../domain/records.js';
import { utcDay } from '../list-totals.js';
import type { TableSpec } from './table-access.js';

/** The columns of mfa_config_audit_logs, in insert order. */
export const MFA_CONFIG_AUDIT_LOG_COLUMNS = [
  'tenant_id',
  'id',
  'action',
  'target_type',
  'target_id',
  'operator_id',
  'module',
  'message',
  'timestamp',
] as const satisfies ReadonlyArray<keyof MfaConfigAuditLog>;

export const MFA_CONFIG_AUDIT_LOG_TABLE: TableSpec<MfaConfigAuditLog> = {
  table: 'mfa_config_audit_logs',
  columns: MFA_CONFIG_AUDIT_LOG_COLUMNS,
  orderBy: '"timestamp" DESC, id DESC',
  tally: {
    table: 'mfa_config_audit_log_tallies',
    columns: ['tenant_id', 'day', 'action', 'target_type'],
    key: (log) => [log.tenant_id, utcDay(log.timestamp), log.action, log.target_type],
  },
};
