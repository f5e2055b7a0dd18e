import type {
  Channel,
  CommunicationLog,
  DeliveryStatus,
} from '../src/kinds/communication-log/communication-log-table.js';
import type { MfaConfigAuditLog } from '../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import type { OperateLog } from '../src/kinds/operate-log/operate-log-table.js';

/**
 * Deterministic, realistic audit data for the benchmarks. Row i of a kind is a pure function of
 * (kind, i), so any slice can be generated on its own and every run sees the same rows. Tenants and
 * users are skewed (Zipf-like), content is Chinese and English, and times increase over DAYS days
 * ending at DATA_END_MS, so that no two rows share an instant by construction.
 */

/** The loaded data spans these days, ending here; rows ingested during a run come after it. */
export const DAYS = 90;
export const DATA_END_MS = Date.UTC(2026, 9, 31);
export const DATA_START_MS = DATA_END_MS - DAYS * 86_400_000;
export const TENANTS = 40;
const USERS_PER_TENANT = 20_000;
const OPERATORS_PER_TENANT = 25;

/** The tenant with the most rows (about a fifth of them): every timed query reads it. */
export const BIG_TENANT = tenantName(0);

/** A rare operate_content term: about one row in 400,000 carries it. */
export const RARE_TERM = 'QX7-ZEPHYR';
/** A common term (about a third of the rows, case-insensitively). */
export const COMMON_TERM = 'device';
/** A three-character Chinese term (about one row in 60). */
export const CHINESE_TERM_3 = '智能锁';
/** A one-character Chinese term (about one row in 12). */
export const CHINESE_TERM_1 = '锁';

function tenantName(index: number): string {
  return `tnt_${String(index).padStart(3, '0')}`;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator; seeded per row. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Cumulative Zipf(s) weights over n ranks, for picking skewed ranks from a uniform number. */
function zipfTable(n: number, s: number): Float64Array {
  const table = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) table[k] = sum += 1 / Math.pow(k + 1, s);
  for (let k = 0; k < n; k++) table[k] = (table[k] ?? 0) / sum;
  return table;
}

function rank(table: Float64Array, u: number): number {
  let low = 0;
  let high = table.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((table[middle] ?? 1) < u) low = middle + 1;
    else high = middle;
  }
  return low;
}

const TENANT_RANKS = zipfTable(TENANTS, 1.1);
const USER_RANKS = zipfTable(USERS_PER_TENANT, 0.9);

function pick<T>(items: readonly T[], u: number): T {
  return items[Math.min(items.length - 1, Math.floor(u * items.length))] as T;
}

const KIND_SEEDS = { communication: 0x1000_0000, mfa: 0x2000_0000, operate: 0x3000_0000 } as const;

/** Row i of a kind: its seeded generator, tenant, user rank and time (`total` rows span DAYS days). */
function rowBasics(kind: keyof typeof KIND_SEEDS, i: number, total: number) {
  const next = random(KIND_SEEDS[kind] + i * 2_654_435_761);
  const tenantIndex = rank(TENANT_RANKS, next());
  const time =
    i < total ? DATA_START_MS + Math.floor((i * DAYS * 86_400_000) / total) : DATA_END_MS + (i - total) * 3; // ingested during the run: after the loaded data
  return { next, tenantId: tenantName(tenantIndex), user: rank(USER_RANKS, next()), time };
}

const SMS = [
  '您的验证码是{code},5分钟内有效。',
  '【智能家居】您的智能锁已绑定成功',
  'Your verification code is {code}',
];
const EMAILS = ['Reset your password', '登录提醒:您的账号在新设备登录', 'Welcome to the smart home platform'];
const PUSH = ['门锁已打开', 'Device offline: living room camera', '您的设备固件已更新'];
const CHANNELS: readonly Channel[] = [
  'sms',
  'sms',
  'sms',
  'sms',
  'sms',
  'sms',
  'email',
  'email',
  'email',
  'push',
];
const STATUSES: readonly DeliveryStatus[] = [
  ...(Array(16).fill('delivered') as DeliveryStatus[]),
  'sent',
  'sent',
  'failed',
  'pending',
];

/** Communication log i of `total` loaded rows. */
export function communicationLog(i: number, total: number): CommunicationLog {
  const { next, tenantId, user, time } = rowBasics('communication', i, total);
  const channel = pick(CHANNELS, next());
  const status = pick(STATUSES, next());
  const code = String(Math.floor(next() * 1_000_000)).padStart(6, '0');
  const templates = channel === 'sms' ? SMS : channel === 'email' ? EMAILS : PUSH;
  const template = Math.floor(next() * templates.length);
  return {
    tenant_id: tenantId,
    id: `log_${i.toString(36).padStart(8, '0')}`,
    user_id: `usr_${user}`,
    channel,
    status,
    recipient:
      channel === 'email'
        ? `user${user}@example.com`
        : channel === 'sms'
          ? `13${String(800_000_000 + user * 37).padStart(9, '0')}`
          : `device-token-${user}`,
    content: (templates[template] ?? '').replace('{code}', code),
    provider: channel === 'sms' ? 'aliyun' : channel === 'email' ? 'ses' : 'fcm',
    template_id: `tpl_${channel}_${template}`,
    error: status === 'failed' ? 'provider timeout' : null,
    response: status === 'pending' ? null : '{"Code":"OK"}',
    sent_at: status === 'pending' ? null : time + 800,
    created_at: time,
    updated_at: status === 'pending' ? time : time + 2_000,
  };
}

const MFA_ACTIONS = [
  ['mfa_totp.enabled', 'mfa_totp', 'TOTP enabled', '启用了TOTP'],
  ['mfa_totp.disabled', 'mfa_totp', 'TOTP disabled', '关闭了TOTP'],
  ['mfa_sms.enabled', 'mfa_sms', 'SMS factor enabled', '启用了短信验证'],
  ['mfa_policy.updated', 'mfa_policy', 'MFA policy updated', '更新了MFA策略'],
  ['mfa_webauthn.registered', 'mfa_webauthn', 'security key registered', '注册了安全密钥'],
] as const;

/** MFA configuration audit log i of `total` loaded rows. */
export function mfaConfigAuditLog(i: number, total: number): MfaConfigAuditLog {
  const { next, tenantId, time } = rowBasics('mfa', i, total);
  const [action, targetType, english, chinese] = pick(MFA_ACTIONS, next());
  const operator = Math.floor(next() * next() * OPERATORS_PER_TENANT);
  return {
    tenant_id: tenantId,
    id: `mfa_${i.toString(36).padStart(8, '0')}`,
    action,
    target_type: targetType,
    target_id: `${targetType}_${Math.floor(next() * 1e6)}`,
    operator_id: `usr_admin${operator}`,
    module: 'data',
    message: next() < 0.5 ? english : `管理员${chinese}`,
    timestamp: time,
  };
}

const OPERATE_TYPES = ['login', 'logout', 'device_add', 'device_delete', 'device_control', 'config_change'];
const ROOMS = ['客厅', '卧室', '厨房', 'living room', 'bedroom', 'garage'];
const DEVICES = [
  '智能锁',
  '灯',
  'camera',
  '空调',
  'Device sensor',
  '窗帘',
  'plug',
  '扫地机器人',
  '门铃',
  'heater',
  '电视',
  'speaker',
];

/** Operate log i of `total` loaded rows. */
export function operateLog(i: number, total: number): OperateLog {
  const { next, tenantId, user, time } = rowBasics('operate', i, total);
  const operateType = pick(OPERATE_TYPES, next());
  const device = pick(DEVICES, next());
  const room = pick(ROOMS, next());
  const english = next() < 0.45;
  let content: string;
  if (operateType === 'login' || operateType === 'logout')
    content = english
      ? `User ${user} ${operateType === 'login' ? 'logged in' : 'logged out'} from the app`
      : `用户${user}${operateType === 'login' ? '登录' : '退出'}了系统`;
  else if (operateType === 'config_change')
    content = english ? `Changed the name of ${device} in ${room}` : `修改了${room}的${device}名称`;
  else
    content = english
      ? `device ${operateType.slice(7)}: ${device} in ${room}`
      : `${room}${device}已${operateType === 'device_add' ? '添加' : operateType === 'device_delete' ? '删除' : '控制'}`;
  if (i % 400_000 === 123) content += ` ${RARE_TERM}`;
  return {
    tenant_id: tenantId,
    id: `op_${i.toString(36).padStart(8, '0')}`,
    record_time: time,
    uid: `ay${user}`,
    username: `user${user}`,
    operate_type: operateType,
    operate_content: content,
    user_id: `usr_${user}`,
    role: user < 50 ? 'admin' : 'member',
    account: `138${String(10_000_000 + user).slice(-8)}`,
    operate_geo_info: pick(['Hangzhou', 'Shenzhen', 'Beijing', 'Shanghai'], next()),
    operate_ip_info: `10.${user % 256}.${(user >> 8) % 256}.${i % 256}`,
    client_id: 'bench_app',
    merchant_code: pick(['tuya', 'acme', 'globex'], next()),
    ext: '{}',
    project_code: 'p_bench',
  };
}
