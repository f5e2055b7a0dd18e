import { DemoDraw, iso } from '../demo-records.js';
import type { MfaConfigAuditLogInput } from './mfa-config-audit-log-service.js';

const MFA_ACTIONS = [
  ['mfa_totp.enabled', 'mfa_totp', 'TOTP enabled successfully'],
  ['mfa_totp.disabled', 'mfa_totp', '用户关闭了TOTP'],
  ['mfa_sms.enabled', 'mfa_sms', 'SMS MFA enabled'],
  ['mfa_policy.updated', 'mfa_policy', '管理员更新了MFA策略'],
  ['mfa_webauthn.registered', 'mfa_webauthn', 'Security key registered'],
  ['recovery_codes.regenerated', 'recovery_codes', '恢复码已重新生成'],
] as const;

/** Demo MFA audit logs (ids `mfa_demo_000001` …), two in five by usr_admin. */
export function demoMfaConfigAuditLogs(nowMs: number, count: number): MfaConfigAuditLogInput[] {
  const draw = new DemoDraw(20_260_416, nowMs, count);
  return Array.from({ length: draw.count }, (_, index): MfaConfigAuditLogInput => {
    const [action, targetType, message] = draw.pick(MFA_ACTIONS);
    return {
      id: `mfa_demo_${draw.serial(index)}`,
      tenant_id: draw.tenant(),
      action,
      target_type: targetType,
      target_id: `mfa_${draw.hex(6)}`,
      operator_id: draw.random() < 0.4 ? 'usr_admin' : draw.user(),
      module: draw.pick(['data', 'policy', 'security']),
      message,
      timestamp: iso(draw.timeOf(index)),
    };
  });
}
