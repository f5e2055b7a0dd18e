import type { LogQuery } from '../log-query.js';
import { mfaConfigAuditLogConditions } from './mfa-config-audit-log-repository.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE, type MfaConfigAuditLog } from './mfa-config-audit-log-table.js';

/** The console's filters of MFA audit logs: action, target type and operator, exact. */
export const MFA_CONFIG_AUDIT_LOG_QUERY: LogQuery<MfaConfigAuditLog> = {
  table: MFA_CONFIG_AUDIT_LOG_TABLE,
  filters: ['action', 'target_type', 'operator_id'],
  conditions: (params) =>
    mfaConfigAuditLogConditions({
      action: params.action,
      targetType: params.target_type,
      operatorId: params.operator_id,
    }),
};
