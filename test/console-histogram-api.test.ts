/**
 * GET /v1/stats/{kind}/histogram over real HTTP: its counts are the records GET /v1/logs/{kind}
 * lists for the same filters, bucket by bucket (hours and days, filters the volume answers and
 * filters counted row by row, key_words in Chinese and English); ranges rounded outward to whole
 * buckets; tenant isolation; bad input answered 400 in the AuthMS shape; reads access-logged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-01-01 00:00 UTC. */
const T0 = Date.UTC(2026, 0, 1);

type Item = Record<string, unknown>;
type Query = Record<string, string>;
interface Histogram {
  interval: string;
  from: string;
  until: string;
  buckets: { start: string; count: number }[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const qs = (query: Query) => new URLSearchParams(query).toString();

/** Communication logs every 37 minutes from T0 − 1 day: about three days, all channels and statuses. */
function commLogs(tenant: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `log_${tenant}_${i}`,
    user_id: `usr_${i % 5}`,
    channel: ['sms', 'email', 'push'][i % 3],
    status: ['pending', 'sent', 'delivered', 'failed'][(i >> 1) % 4],
    recipient: `1380013${String(i).padStart(4, '0')}`,
    content: `code ${i}`,
    created_at: iso(T0 - DAY + i * 37 * 60_000),
  }));
}

const CONTENTS = ['打开了客厅的智能锁', 'Turned off the LIGHT', '关闭了灯', 'light sensor offline'];

function operateLogs(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `op_${i}`,
    record_time: T0 + i * 53 * 60_000,
    operate_type: ['login', 'device_control'][i % 2] ?? '',
    operate_content: CONTENTS[i % CONTENTS.length] ?? '',
    merchant_code: i % 3 === 0 ? 'm1' : 'm2',
    ...{ uid: `uid${i}`, username: `name${i}`, user_id: `usr_${i % 3}`, role: 'admin' },
    ...{ account: `acct${i}`, operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1' },
    ...{ client_id: 'app1', ext: '{}', project_code: 'p1' },
  }));
}

function mfaLogs(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `mfa_${i}`,
    action: ['mfa_totp.enabled', 'mfa_sms.enabled'][i % 2],
    target_type: i % 2 === 0 ? 'mfa_totp' : 'mfa_sms',
    target_id: `tgt_${i}`,
    operator_id: `usr_op${i % 3}`,
    module: 'data',
    message: `change ${i}`,
    timestamp: iso(T0 + i * 97 * 60_000),
  }));
}

describe(`GET /v1/stats/{kind}/histogram (${TEST_STORE})`, () => {
  let api: TestServer;
  let adminA: string;
  let adminB: string;
  let platform: string;
  let user: string;

  async function histogram(kind: string, query: Query, token: string): Promise<Histogram> {
    const { status, body } = await api.request('GET', `/v1/stats/${kind}/histogram?${qs(query)}`, { token });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.code, 200);
    return body.data as Histogram;
  }

  /** Every item GET /v1/logs/{kind} lists for `query`. */
  async function listed(kind: string, query: Query, token: string): Promise<Item[]> {
    const items: Item[] = [];
    let afterKey = '';
    for (;;) {
      const page = { ...query, limit: '100', ...(afterKey === '' ? {} : { after: afterKey }) };
      const { status, body } = await api.request('GET', `/v1/logs/${kind}?${qs(page)}`, { token });
      assert.equal(status, 200, JSON.stringify(body));
      const data = body.data as { items: Item[]; has_more: boolean; last_row_key: string };
      items.push(...data.items);
      if (!data.has_more) return items;
      afterKey = data.last_row_key;
    }
  }

  /**
   * Asserts that the histogram of `query` counts, per bucket, the items listed for the same query
   * over the histogram's range; returns the histogram.
   */
  async function assertMatchesList(
    kind: string,
    time: (item: Item) => number,
    query: Query,
    token: string,
  ): Promise<Histogram> {
    const result = await histogram(kind, query, token);
    const width = result.interval === 'day' ? DAY : HOUR;
    const from = Date.parse(result.from);
    assert.equal(Date.parse(result.until) - from, result.buckets.length * width);
    result.buckets.forEach((bucket, n) => {
      assert.equal(Date.parse(bucket.start), from + n * width);
    });
    const filters = Object.fromEntries(Object.entries(query).filter(([name]) => name !== 'interval'));
    const items = await listed(kind, { ...filters, from: result.from, until: result.until }, token);
    const expected = result.buckets.map(() => 0);
    for (const item of items) {
      const bucket = Math.floor((time(item) - from) / width);
      expected[bucket] = (expected[bucket] ?? 0) + 1;
    }
    assert.deepEqual(
      result.buckets.map((bucket) => bucket.count),
      expected,
      `${kind} ${JSON.stringify(query)}`,
    );
    return result;
  }

  const createdAt = (item: Item) => Date.parse(String(item.created_at));

  before(async () => {
    api = await startTestServer();
    adminA = await api.token({ sub: 'usr_admin_a', tenant_id: 'tnt_a', roles: ['admin'] });
    adminB = await api.token({ sub: 'usr_admin_b', tenant_id: 'tnt_b', roles: ['admin'] });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    await api.ingest('communication-logs', 'tnt_a', commLogs('a', 120));
    await api.ingest('communication-logs', 'tnt_b', commLogs('b', 9));
    await api.ingest('operate-logs', 'tnt_a', operateLogs(60));
    await api.ingest('mfa-config-audit-logs', 'tnt_a', mfaLogs(40));
  });
  after(() => api.close());

  test('communication logs per hour and per day match the list, with every filter', async () => {
    const range = { from: iso(T0 - DAY), until: iso(T0 + 2 * DAY) };
    for (const filters of [
      {},
      { channel: 'sms' },
      { status: 'failed' },
      { channel: 'email', status: 'sent' },
      { user_id: 'usr_3' },
      { user_id: 'usr_2', status: 'pending' },
    ] as Query[]) {
      const hours = await assertMatchesList(
        'communication-log',
        createdAt,
        { ...range, ...filters, interval: 'hour' },
        adminA,
      );
      assert.equal(hours.buckets.length, 72);
      const days = await assertMatchesList(
        'communication-log',
        createdAt,
        { ...range, ...filters, interval: 'day' },
        adminA,
      );
      assert.equal(days.buckets.length, 3);
    }
    const all = await histogram('communication-log', { ...range, interval: 'day' }, adminA);
    assert.deepEqual(
      all.buckets.map((bucket) => bucket.count),
      [39, 39, 39],
      'a row every 37 minutes',
    );
  });

  test('from and until are rounded outward to whole UTC buckets', async () => {
    const result = await assertMatchesList(
      'communication-log',
      createdAt,
      { from: iso(T0 + 30 * 60_000), until: iso(T0 + 2 * HOUR + 10 * 60_000), interval: 'hour' },
      adminA,
    );
    assert.equal(result.from, iso(T0));
    assert.equal(result.until, iso(T0 + 3 * HOUR));
    assert.deepEqual(
      result.buckets.map((bucket) => bucket.start),
      [iso(T0), iso(T0 + HOUR), iso(T0 + 2 * HOUR)],
    );
    const offset = await histogram(
      'communication-log',
      { from: '2026-01-01T05:30:00+08:00', until: '2026-01-02T00:00:00Z', interval: 'day' },
      adminA,
    );
    assert.equal(offset.from, '2025-12-31T00:00:00Z', '05:30 at +08:00 is the day before in UTC');
    assert.equal(offset.buckets.length, 2);
  });

  test('without from, the last 24 hours or 30 days up to now', async () => {
    const asked = Date.now();
    const hours = await histogram('communication-log', {}, adminA);
    assert.equal(hours.interval, 'hour');
    assert.ok(hours.buckets.length === 24 || hours.buckets.length === 25, String(hours.buckets.length));
    assert.ok(Date.parse(hours.until) >= asked && Date.parse(hours.from) <= asked - DAY);
    assert.ok(
      hours.buckets.every((bucket) => bucket.count === 0),
      'the rows are of January 2026',
    );
    const days = await histogram('communication-log', { interval: 'day' }, adminA);
    assert.ok(days.buckets.length === 30 || days.buckets.length === 31);
    assert.equal(Date.parse(days.from) % DAY, 0);
  });

  test('operate logs with key_words in Chinese and English, and MFA by operator', async () => {
    const recordTime = (item: Item) => Number(item.record_time);
    const range = { from: iso(T0), until: iso(T0 + 3 * DAY) };
    for (const filters of [
      {},
      { merchant_code: 'm1' },
      { operate_type: 'login', merchant_code: 'm2' },
      { key_words: '智能锁' },
      { key_words: 'light' },
      { key_words: 'LIGHT', operate_type: 'device_control' },
    ] as Query[]) {
      const result = await assertMatchesList('operate-log', recordTime, { ...range, ...filters }, adminA);
      if (filters.key_words !== undefined) {
        assert.ok(
          result.buckets.some((bucket) => bucket.count > 0),
          `${filters.key_words} matches something`,
        );
      }
    }
    const timestamp = (item: Item) => Date.parse(String(item.timestamp));
    for (const filters of [
      {},
      { operator_id: 'usr_op1' },
      { action: 'mfa_sms.enabled', target_type: 'mfa_sms' },
    ] as Query[]) {
      await assertMatchesList(
        'mfa-config-audit-log',
        timestamp,
        { ...range, ...filters, interval: 'day' },
        adminA,
      );
    }
  });

  test('tenants see their own records only; non-admins and strangers none', async () => {
    const range = { from: iso(T0 - DAY), until: iso(T0 + 2 * DAY), interval: 'day' };
    const total = (result: Histogram) => result.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
    assert.equal(total(await histogram('communication-log', range, adminB)), 9);
    assert.equal(total(await histogram('communication-log', range, adminA)), 117);
    assert.equal(total(await histogram('communication-log', range, platform)), 126);
    assert.equal(total(await histogram('communication-log', { ...range, tenant_id: 'tnt_b' }, platform)), 9);
    assert.equal(total(await histogram('operate-log', range, adminB)), 0);

    const other = await api.request(
      'GET',
      `/v1/stats/communication-log/histogram?${qs({ ...range, tenant_id: 'tnt_a' })}`,
      { token: adminB },
    );
    assert.equal(other.status, 403);
    assert.equal(other.body.code, 403);
    const plain = await api.request('GET', `/v1/stats/communication-log/histogram?${qs(range)}`, {
      token: user,
    });
    assert.equal(plain.status, 403);
    const anonymous = await api.request('GET', '/v1/stats/communication-log/histogram');
    assert.equal(anonymous.status, 401);
  });

  test('bad input is a 400 in the AuthMS shape', async () => {
    for (const [query, pattern] of [
      [
        { from: '2020-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' },
        /narrow the range or use interval=day/,
      ],
      [{ from: '2000-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z', interval: 'day' }, /narrow the range/],
      [{ interval: 'week' }, /interval/],
      [{ from: 'yesterday' }, /RFC 3339/],
      [{ from: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' }, /from must not be later/],
      [{ channel: 'fax' }, /channel/],
      [{ colour: 'red' }, /colour|additional/],
    ] as [Query, RegExp][]) {
      const { status, body } = await api.request(
        'GET',
        `/v1/stats/communication-log/histogram?${qs(query)}`,
        { token: adminA },
      );
      assert.equal(status, 400, JSON.stringify(query));
      assert.equal(body.code, 400);
      assert.match(String(body.message), pattern, JSON.stringify(body));
      assert.equal(typeof body.timestamp, 'string');
    }
    const most = await histogram(
      'communication-log',
      { from: iso(T0), until: iso(T0 + 2000 * HOUR), interval: 'hour' },
      adminA,
    );
    assert.equal(most.buckets.length, 2000, 'exactly 2,000 buckets is allowed');
  });

  test('every histogram read lands in the access log', async () => {
    await histogram('mfa-config-audit-log', { interval: 'day', operator_id: 'usr_op2' }, adminA);
    await waitFor('the histogram read in the access log', async () => {
      const { body } = await api.request(
        'GET',
        `/admin/access-logs?${qs({ route: '/v1/stats/mfa-config-audit-log/histogram', size: '10' })}`,
        { token: adminA },
      );
      const items = (body.items ?? []) as Item[];
      return items.some(
        (item) => JSON.stringify(item.query).includes('usr_op2') && item.actor === 'usr_admin_a',
      );
    });
  });
});
