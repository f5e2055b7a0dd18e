import { Type } from 'typebox';
import type { LogQueryDescription } from '../log-kind-module.js';
import { MfaConfigAuditLogItem, presentMfaConfigAuditLog } from './mfa-config-audit-log-presenter.js';
import { MFA_CONFIG_AUDIT_LOG_QUERY } from './mfa-config-audit-log-query.js';
import type { MfaConfigAuditLog } from './mfa-config-audit-log-table.js';

const Exact = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: `${description} (exact)` }));

/** MFA configuration audit logs in the console: AuthMS items (timestamp RFC 3339). */
export const MFA_CONFIG_AUDIT_LOG_CONSOLE: LogQueryDescription<MfaConfigAuditLog> = {
  query: MFA_CONFIG_AUDIT_LOG_QUERY,
  filters: {
    action: Exact('the action, e.g. mfa_totp.enabled'),
    target_type: Exact('the target type, e.g. mfa_totp'),
    operator_id: Exact('the operator’s user id'),
  },
  item: MfaConfigAuditLogItem,
  present: presentMfaConfigAuditLog,
};
