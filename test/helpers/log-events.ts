/**
 * Seeded generators of audit events as clients send them to `POST /v1/ingest/{kind}`: communication
 * logs, MFA config audit logs and operate logs with mixed scripts, channels and times over half a
 * year. Shared by the tests that need a reproducible workload (one seed, the same records).
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A record as sent (or stored): column → value. */
export type Row = Record<string, string | number | null>;
/** Floats in [0, 1), reproducibly. */
export type Random = () => number;

/** The ingest path segments of the kinds clients write. */
export const INGEST_KINDS = ['communication-logs', 'mfa-config-audit-logs', 'operate-logs'] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];
/** The integrity log of each kind's ingest path segment. */
export const LOG_OF: Record<IngestKind, string> = {
  'communication-logs': 'communication-log',
  'mfa-config-audit-logs': 'mfa-config-audit-log',
  'operate-logs': 'operate-log',
};
/** The id prefix the tests give each kind's records. */
export const PREFIX: Record<IngestKind, string> = {
  'communication-logs': 'log_',
  'mfa-config-audit-logs': 'mfa_',
  'operate-logs': 'op_',
};

/** The first instant of the generated times; they spread over the following half year. */
export const T0 = Date.UTC(2026, 0, 1);
const HALF_YEAR_MS = 181 * 86_400_000;
/** Users of a tenant: few enough that a subject has several records (and one subject key for them). */
const USERS = 24;

/** A seeded generator of floats in [0, 1) (pure-rand's xoroshiro128+). */
export function generator(seed: number): Random {
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}

/** One of `items`, at random. */
export const pick = <T>(random: Random, items: readonly T[]): T => {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};

/** A shuffled copy of `items` (Fisher–Yates). */
export const shuffle = <T>(random: Random, items: readonly T[]): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
};

/** `count` decimal digits. */
export const digits = (random: Random, count: number) =>
  Array.from({ length: count }, () => Math.floor(random() * 10)).join('');

/** Visible ASCII of several classes, so that id order (UTF-8 bytes) is not the order ids were made in. */
const ID_CHARS = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz-');
/** `length` characters of ID_CHARS. */
export const token = (random: Random, length: number) =>
  Array.from({ length }, () => pick(random, ID_CHARS)).join('');

/** An epoch-ms time in the half year from T0. */
export const timeMs = (random: Random) => T0 + Math.floor(random() * HALF_YEAR_MS);
/** The same as an ISO 8601 string, as the AuthMS ingest API takes times. */
export const timeIso = (random: Random) => new Date(timeMs(random)).toISOString();

const CONTENTS = [
  '您的验证码是{n}，5分钟内有效',
  'Your verification code is {n}',
  '【示例】您的账户于{n}登录',
  'Login from a new device ({n})',
  '设备 {n} 已离线',
  'password reset requested #{n}',
];
const text = (random: Random) => pick(random, CONTENTS).replace('{n}', digits(random, 6));
const user = (random: Random) => `usr_${Math.floor(random() * USERS)}`;

/**
 * How a generated communication log starts: `any` of the four statuses (nothing sent with it), or
 * `fresh` as a sender reports it before any receipt — a quarter `sent` (with sent_at and the
 * provider's response), the others `pending` or without a status (pending by default).
 */
export type InitialDelivery = 'any' | 'fresh';

/** A communication log with id `id`. */
export function communicationLog(random: Random, id: string, initial: InitialDelivery = 'any'): Row {
  const channel = pick(random, ['sms', 'email', 'push'] as const);
  let delivery: Row;
  if (initial === 'any') delivery = { status: pick(random, ['pending', 'sent', 'delivered', 'failed']) };
  else if (random() < 0.25) delivery = { status: 'sent', sent_at: timeIso(random), response: 'accepted' };
  else delivery = random() < 0.5 ? { status: 'pending' } : {};
  return {
    id,
    user_id: user(random),
    channel,
    ...delivery,
    recipient:
      channel === 'sms'
        ? `138${digits(random, 8)}`
        : channel === 'email'
          ? `user${digits(random, 4)}@example.com`
          : `push_${digits(random, 16)}`,
    content: text(random),
    provider: pick(random, ['aliyun', 'tencent', 'sendgrid', 'fcm']),
    template_id: `tpl_${Math.floor(random() * 20)}`,
    created_at: timeIso(random),
  };
}

/** An MFA config audit log with id `id`. */
export function mfaLog(random: Random, id: string): Row {
  const target = pick(random, ['mfa_totp', 'mfa_sms', 'mfa_recovery_codes']);
  return {
    id,
    action: `${target}.${pick(random, ['enabled', 'disabled', 'reset'])}`,
    target_type: target,
    target_id: user(random),
    operator_id: `usr_${Math.floor(random() * 4)}`,
    module: 'mfa',
    message: text(random),
    timestamp: timeIso(random),
  };
}

/** An operate log with id `id`. */
export function operateLog(random: Random, id: string): Row {
  return {
    id,
    record_time: timeMs(random),
    operate_type: pick(random, ['login', 'logout', 'update', 'delete']),
    operate_content: text(random),
    uid: `u${Math.floor(random() * USERS)}`,
    username: pick(random, ['alice', '张伟', 'bob']),
    user_id: user(random),
    role: pick(random, ['admin', 'operator']),
    account: `user${digits(random, 4)}@example.com`,
    operate_geo_info: pick(random, ['Hangzhou', 'Shenzhen', 'Berlin']),
    operate_ip_info: `10.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    client_id: 'app1',
    merchant_code: pick(random, ['m1', 'm2']),
    ext: '{}',
    project_code: 'p1',
  };
}

/** A record of `kind` with id `id`; communication logs start as `initial` says. */
export function recordOf(
  kind: IngestKind,
  random: Random,
  id: string,
  initial: InitialDelivery = 'any',
): Row {
  if (kind === 'communication-logs') return communicationLog(random, id, initial);
  return kind === 'mfa-config-audit-logs' ? mfaLog(random, id) : operateLog(random, id);
}
