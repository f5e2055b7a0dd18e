import { Type } from 'typebox';
import { formatRfc3339 } from '../../domain/time.js';
import type { MfaConfigAuditLog } from './mfa-config-audit-log-table.js';

/** AuthMS `dto.MFAConfigAuditLogItem`. */
export const MfaConfigAuditLogItem = Type.Object(
  {
    id: Type.String({ examples: ['log_abc123'] }),
    tenant_id: Type.String({ examples: ['tnt_001'] }),
    action: Type.String({ examples: ['mfa_totp.enabled'] }),
    target_type: Type.String({ examples: ['mfa_totp'] }),
    target_id: Type.String({ examples: ['mfa_abc123'] }),
    operator_id: Type.String({ examples: ['usr_admin'] }),
    module: Type.String({ examples: ['data'] }),
    message: Type.String({ examples: ['TOTP enabled successfully'] }),
    timestamp: Type.String({ examples: ['2026-05-15T10:00:00Z'] }),
  },
  { title: 'dto.MFAConfigAuditLogItem' },
);

/** The AuthMS item of a stored log: times as RFC 3339. */
export function presentMfaConfigAuditLog(log: MfaConfigAuditLog) {
  return { ...log, timestamp: formatRfc3339(log.timestamp) };
}
