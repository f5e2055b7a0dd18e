import { logTable } from '../log-table.js';

/** One UTC day in ms: the bucket of the MFA tallies (date filters mostly cover whole UTC days). */
export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms instant, counted from 1970-01-01 (negative before it). */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** One change of an MFA setting (AuthMS `dto.MFAConfigAuditLogItem`). */
export interface MfaConfigAuditLog {
  tenant_id: string;
  id: string;
  action: string;
  target_type: string;
  target_id: string;
  operator_id: string;
  module: string;
  message: string;
  /** Epoch ms. */
  timestamp: number;
}

export const MFA_CONFIG_AUDIT_LOG_TABLE = logTable<MfaConfigAuditLog>({
  kind: 'mfa-config-audit-log',
  table: 'mfa_config_audit_logs',
  columns: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['action', 'text'],
    ['target_type', 'text'],
    ['target_id', 'text'],
    ['operator_id', 'text'],
    ['module', 'text'],
    ['message', 'text'],
    ['timestamp', 'bigint'],
  ],
  timeColumn: 'timestamp',
  keysTable: 'mfa_config_audit_log_keys',
  idPrefix: 'mfa_',
  retention: { defaultPeriod: '730d' },
  sealing: { sealed: ['message'], subject: 'operator_id' },
  volume: { table: 'mfa_config_audit_log_volume', dimensions: ['action', 'target_type'] },
  tally: {
    table: 'mfa_config_audit_log_tallies',
    columns: ['tenant_id', 'day', 'action', 'target_type'],
    key: (log) => [log.tenant_id, utcDay(log.timestamp), log.action, log.target_type],
    // utcDay: floored division, right before 1970 too.
    sql: [
      'tenant_id',
      `("timestamp" - (("timestamp" % ${DAY_MS}) + ${DAY_MS}) % ${DAY_MS}) / ${DAY_MS}`,
      'action',
      'target_type',
    ],
    reads: ['tenant_id', 'timestamp', 'action', 'target_type'],
  },
});
