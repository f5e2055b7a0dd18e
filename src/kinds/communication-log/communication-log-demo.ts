import { DemoDraw, iso } from '../demo-records.js';
import type { CommunicationLogInput } from './communication-log-service.js';
import type { Channel, DeliveryStatus } from './communication-log-table.js';

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

/**
 * Demo communication logs (ids `log_demo_000001` …): mostly delivered, some failed with the
 * provider's answer; 20 share one created_at to make paging ties visible.
 */
export function demoCommunicationLogs(nowMs: number, count: number): CommunicationLogInput[] {
  const draw = new DemoDraw(20_260_415, nowMs, count);
  return Array.from({ length: draw.count }, (_, index): CommunicationLogInput => {
    const channel = draw.pick<Channel>(['sms', 'sms', 'email', 'push']);
    const roll = draw.random();
    const status: DeliveryStatus =
      roll < 0.8 ? 'delivered' : roll < 0.88 ? 'sent' : roll < 0.94 ? 'failed' : 'pending';
    const createdAt =
      index >= draw.count - 40 && index < draw.count - 20 ? draw.timeOf(draw.count - 40) : draw.timeOf(index);
    const failure = status === 'failed' ? draw.pick(FAILURES) : undefined;
    const recipient =
      channel === 'sms'
        ? `1${draw.pick(['38', '39', '58', '86'])}${draw.digits(8)}`
        : channel === 'email'
          ? `${draw.pick(['alice', 'bob', 'zhang.wei', 'li.na', 'ops'])}${draw.digits(2)}@${draw.pick(['example.com', 'example.cn'])}`
          : `dvc_${draw.hex(24)}`;
    const content =
      channel === 'sms'
        ? draw.pick(SMS_TEXTS)(draw.digits(6))
        : channel === 'email'
          ? draw.pick(EMAIL_TEXTS)
          : draw.pick(PUSH_TEXTS);
    return {
      id: `log_demo_${draw.serial(index)}`,
      tenant_id: draw.tenant(),
      user_id: draw.user(),
      channel,
      status,
      recipient,
      content,
      provider: draw.pick(PROVIDERS[channel]),
      template_id: `tpl_${channel}_${String(Math.floor(draw.random() * 5) + 1).padStart(3, '0')}`,
      error: failure?.error ?? null,
      response: failure?.response ?? (status === 'delivered' ? '{"Code":"OK"}' : null),
      sent_at: status === 'pending' ? null : iso(createdAt + 1000 + Math.floor(draw.random() * 4000)),
      created_at: iso(createdAt),
    };
  });
}
