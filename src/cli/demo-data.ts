import type { CommunicationLogInput } from '../kinds/communication-log/communication-log-service.js';
import type { MfaConfigAuditLogInput } from '../kinds/mfa-config-audit-log/mfa-config-audit-log-service.js';
import type { OperateLogInput } from '../kinds/operate-log/operate-log-service.js';
import type { Channel, DeliveryStatus } from '../kinds/communication-log/communication-log-table.js';

/** The demo data set: logs of each kind, ready for the ingest services. */
export interface DemoRecords {
  communicationLogs: CommunicationLogInput[];
  mfaConfigAuditLogs: MfaConfigAuditLogInput[];
  operateLogs: OperateLogInput[];
}

/** Tenants of the demo data; most rows belong to the first. */
export const DEMO_TENANTS: readonly string[] = ['tnt_demo', 'tnt_acme'];

const DAY_MS = 86_400_000;
const HEAVY_USERS = ['usr_alice', 'usr_bob', 'usr_carol', 'usr_张伟'];

const SMS_TEXTS = [
  (code: string) => `您的验证码是${code},5分钟内有效。`,
  (code: string) => `Your verification code is ${code}. It expires in 5 minutes.`,
  (code: string) => `【AuthMS】登录验证码${code},请勿泄露给他人。`,
];
const EMAIL_TEXTS = [
  '登录提醒:您的账号在新设备上登录',
  'Password reset requested',
  'Welcome to AuthMS',
  '安全提醒:MFA 已开启',
];
const PUSH_TEXTS = ['New sign-in from Chrome on macOS', '您有一条新的安全通知', 'Approve this sign-in?'];
const PROVIDERS: Record<Channel, readonly string[]> = {
  sms: ['aliyun', 'tencent'],
  email: ['sendgrid', 'ses'],
  push: ['apns', 'fcm'],
};
const FAILURES = [
  { error: '发送超时', response: '{"Code":"isv.BUSINESS_LIMIT_CONTROL"}' },
  { error: 'mailbox unavailable', response: '550 5.1.1 user unknown' },
  { error: 'device token expired', response: '{"reason":"Unregistered"}' },
];
const MFA_ACTIONS = [
  ['mfa_totp.enabled', 'mfa_totp', 'TOTP enabled successfully'],
  ['mfa_totp.disabled', 'mfa_totp', '用户关闭了TOTP'],
  ['mfa_sms.enabled', 'mfa_sms', 'SMS MFA enabled'],
  ['mfa_policy.updated', 'mfa_policy', '管理员更新了MFA策略'],
  ['mfa_webauthn.registered', 'mfa_webauthn', 'Security key registered'],
  ['recovery_codes.regenerated', 'recovery_codes', '恢复码已重新生成'],
] as const;
const OPERATIONS = [
  ['Login', 'Log in to System 2'],
  ['Logout', 'Log out of System 2'],
  ['登录', '用户登录了系统'],
  ['设备控制', '关闭了客厅的灯'],
  ['Device control', 'Turned off the living room light'],
  ['修改密码', '修改了账号密码'],
  ['Create user', 'Created user operator_7 with role viewer'],
] as const;
const GEO = ['Shenzhen City, Guangdong Province', '杭州市 浙江省', 'Singapore', 'Frankfurt, Hesse'];

/** mulberry32: a tiny seeded generator, so the demo data is the same on every start. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Generates `perKind` (default 3,000) logs of each kind over the 30 days before `nowMs`.
 * Deterministic apart from the times: ids are stable (`log_demo_000001` …), so loading the set
 * again stores nothing twice. About 85% of the rows belong to tnt_demo, and a few heavy users
 * own most of them; 20 communication logs share one created_at to make paging ties visible.
 */
export function generateDemoRecords(nowMs: number, options: { perKind?: number } = {}): DemoRecords {
  const perKind = options.perKind ?? 3000;
  const random = seededRandom(20_260_415);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
  const hex = (count: number) =>
    Array.from({ length: count }, () => Math.floor(random() * 16).toString(16)).join('');
  const tenant = () => (random() < 0.85 ? 'tnt_demo' : 'tnt_acme');
  const user = () => (random() < 0.5 ? pick(HEAVY_USERS) : `usr_${digits(4)}`);
  // Whole seconds, oldest first, so the newest rows are the last ids.
  const timeOf = (index: number) =>
    Math.floor((nowMs - 30 * DAY_MS + (index / perKind) * 30 * DAY_MS) / 1000) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const serial = (index: number) => String(index + 1).padStart(6, '0');

  const communicationLogs = Array.from({ length: perKind }, (_, index): CommunicationLogInput => {
    const channel = pick<Channel>(['sms', 'sms', 'email', 'push']);
    const roll = random();
    const status: DeliveryStatus =
      roll < 0.8 ? 'delivered' : roll < 0.88 ? 'sent' : roll < 0.94 ? 'failed' : 'pending';
    const createdAt = index >= perKind - 40 && index < perKind - 20 ? timeOf(perKind - 40) : timeOf(index);
    const failure = status === 'failed' ? pick(FAILURES) : undefined;
    const recipient =
      channel === 'sms'
        ? `1${pick(['38', '39', '58', '86'])}${digits(8)}`
        : channel === 'email'
          ? `${pick(['alice', 'bob', 'zhang.wei', 'li.na', 'ops'])}${digits(2)}@${pick(['example.com', 'example.cn'])}`
          : `dvc_${hex(24)}`;
    const content =
      channel === 'sms'
        ? pick(SMS_TEXTS)(digits(6))
        : channel === 'email'
          ? pick(EMAIL_TEXTS)
          : pick(PUSH_TEXTS);
    return {
      id: `log_demo_${serial(index)}`,
      tenant_id: tenant(),
      user_id: user(),
      channel,
      status,
      recipient,
      content,
      provider: pick(PROVIDERS[channel]),
      template_id: `tpl_${channel}_${String(Math.floor(random() * 5) + 1).padStart(3, '0')}`,
      error: failure?.error ?? null,
      response: failure?.response ?? (status === 'delivered' ? '{"Code":"OK"}' : null),
      sent_at: status === 'pending' ? null : iso(createdAt + 1000 + Math.floor(random() * 4000)),
      created_at: iso(createdAt),
    };
  });

  const mfaConfigAuditLogs = Array.from({ length: perKind }, (_, index): MfaConfigAuditLogInput => {
    const [action, targetType, message] = pick(MFA_ACTIONS);
    return {
      id: `mfa_demo_${serial(index)}`,
      tenant_id: tenant(),
      action,
      target_type: targetType,
      target_id: `mfa_${hex(6)}`,
      operator_id: random() < 0.4 ? 'usr_admin' : user(),
      module: pick(['data', 'policy', 'security']),
      message,
      timestamp: iso(timeOf(index)),
    };
  });

  const operateLogs = Array.from({ length: perKind }, (_, index): OperateLogInput => {
    const [operateType, content] = pick(OPERATIONS);
    const userId = user();
    return {
      id: `op_demo_${serial(index)}`,
      tenant_id: tenant(),
      record_time: timeOf(index) + Math.floor(random() * 1000),
      uid: `bay${digits(13)}`,
      username: userId.replace('usr_', ''),
      operate_type: operateType,
      operate_content: content,
      user_id: userId,
      role: pick(['admin', 'operator', 'viewer']),
      account: `180${digits(8)}`,
      operate_geo_info: pick(GEO),
      operate_ip_info: `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${Math.floor(random() * 254) + 1}`,
      client_id: `demo${hex(16)}`,
      merchant_code: pick(['tuya', 'acme']),
      ext: '',
      project_code: `p${digits(13)}${hex(6)}`,
    };
  });

  return { communicationLogs, mfaConfigAuditLogs, operateLogs };
}
