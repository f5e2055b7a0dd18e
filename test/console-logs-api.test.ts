/**
 * GET /v1/logs/{kind}, the console's cursor pages: every row exactly once and in the order and shape
 * of each kind's own API (AuthMS lists, the Tuya list, /admin/access-logs), every filter, key_words
 * in Chinese and English, the time range's ends, tenant isolation, and bad input, over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TuyaContext } from '@tuya/tuya-connector-nodejs';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const T0 = Date.UTC(2026, 0, 1);
const CLIENT_A = 'sealogconsolea01';
const SECRET_A = 'secret-console-a-0123456789';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';

type Item = Record<string, unknown>;
type Query = Record<string, string | number>;

const CHANNELS = ['sms', 'email', 'push'];
const STATUSES = ['pending', 'sent', 'delivered', 'failed'];
const CONTENTS = [
  '用户登录了系统',
  'Turned off the living room LIGHT',
  '关闭了客厅的灯',
  'Created user operator_7 with role viewer',
  'Log in to System 2',
];

/** Communication logs: pairs share created_at, so paging must break ties by id. */
function commLogs(tenant: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `log_${tenant}_${String(i).padStart(3, '0')}`,
    user_id: `usr_${i % 4}`,
    channel: CHANNELS[i % 3],
    status: STATUSES[i % 4],
    recipient: i % 2 === 0 ? `1380013${String(i).padStart(4, '0')}` : `user${i}@example.com`,
    content: i % 5 === 0 ? `您的验证码是${i}` : `code ${i}`,
    created_at: new Date(T0 + Math.floor(i / 2) * 60_000).toISOString(),
  }));
}

function mfaLogs(tenant: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `mfa_${tenant}_${String(i).padStart(3, '0')}`,
    action: ['mfa_totp.enabled', 'mfa_totp.disabled', 'mfa_sms.enabled'][i % 3],
    target_type: i % 3 === 2 ? 'mfa_sms' : 'mfa_totp',
    target_id: `tgt_${i}`,
    operator_id: `usr_op${i % 2}`,
    module: 'data',
    message: `change ${i}`,
    timestamp: new Date(T0 + Math.floor(i / 3) * 3_600_000).toISOString(),
  }));
}

function operateLogs(tenant: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `op_${tenant}_${String(i).padStart(3, '0')}`,
    record_time: T0 + Math.floor(i / 2) * 1000,
    operate_type: ['登录', 'Device control', 'login'][i % 3] ?? '',
    operate_content: CONTENTS[i % CONTENTS.length] ?? '',
    merchant_code: i % 2 === 0 ? 'm1' : 'm2',
    ...{ uid: `uid${i}`, username: `name${i}`, user_id: `usr_${i % 3}`, role: 'admin' },
    ...{ account: `acct${i}`, operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1' },
    ...{ client_id: 'app1', ext: '{}', project_code: 'p1' },
  }));
}

const qs = (query: Query) =>
  new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();

describe(`GET /v1/logs/{kind} (${TEST_STORE})`, () => {
  let api: TestServer;
  let adminA: string;
  let adminB: string;
  let platform: string;
  let user: string;
  let writer: string;
  let tuya: TuyaContext;

  /** Walks every page of a console read with `limit`, checking each page's cursor fields. */
  async function walk(kind: string, query: Query, token: string, limit = 7): Promise<Item[]> {
    const items: Item[] = [];
    let afterKey: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const path = `/v1/logs/${kind}?${qs({ ...query, limit, ...(afterKey === undefined ? {} : { after: afterKey }) })}`;
      const { status, body } = await api.request('GET', path, { token });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.code, 200);
      const data = body.data as { items: Item[]; has_more: boolean; last_row_key: string };
      assert.ok(data.items.length <= limit);
      items.push(...data.items);
      if (!data.has_more) {
        assert.equal(data.last_row_key, '');
        return items;
      }
      assert.equal(data.items.length, limit, 'a page before the last is full');
      afterKey = data.last_row_key;
    }
    throw new Error('the walk never ended');
  }

  /** Every item of an AuthMS list, page by page. */
  async function authms(path: string, query: Query, token: string): Promise<Item[]> {
    const items: Item[] = [];
    for (let page = 1; ; page++) {
      const { status, body } = await api.request('GET', `${path}?${qs({ ...query, page, page_size: 100 })}`, {
        token,
      });
      assert.equal(status, 200, JSON.stringify(body));
      items.push(...(body.items as Item[]));
      if (!(body.pagination as { has_next: boolean }).has_next) return items;
    }
  }

  /** Every item of the Tuya operate-log list (tenant tnt_a), with the tenant the console adds. */
  async function tuyaList(query: Query): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: Query = {};
    for (;;) {
      const res = await tuya.request<{ list: Item[]; has_more: boolean; last_row_key: string }>({
        path: OPERATE_LOGS,
        method: 'GET',
        query: { size: 100, ...query, ...cursor },
      });
      assert.equal(res.success, true, JSON.stringify(res));
      items.push(...res.result.list.map((item) => ({ ...item, tenant_id: 'tnt_a' })));
      if (!res.result.has_more) return items;
      cursor = { last_row_key: res.result.last_row_key };
    }
  }

  async function accessLogs(query: Query, token: string): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: Query = {};
    for (;;) {
      const { status, body } = await api.request(
        'GET',
        `/admin/access-logs?${qs({ size: 100, ...query, ...cursor })}`,
        {
          token,
        },
      );
      assert.equal(status, 200, JSON.stringify(body));
      items.push(...(body.items as Item[]));
      if (!body.has_more) return items;
      cursor = { last_row_key: String(body.last_row_key) };
    }
  }

  const ids = (items: readonly Item[]) => items.map((item) => item.id);

  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: `${CLIENT_A}:${SECRET_A}:tnt_a` });
    adminA = await api.token({ sub: 'usr_admin_a', tenant_id: 'tnt_a', roles: ['admin'] });
    adminB = await api.token({ sub: 'usr_admin_b', tenant_id: 'tnt_b', roles: ['admin'] });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    writer = await api.token({ sub: 'svc', tenant_id: 'tnt_a', roles: ['audit:write'] });
    await api.ingest('communication-logs', 'tnt_a', commLogs('a', 45));
    await api.ingest('communication-logs', 'tnt_b', commLogs('b', 5));
    await api.ingest('mfa-config-audit-logs', 'tnt_a', mfaLogs('a', 30));
    await api.ingest('mfa-config-audit-logs', 'tnt_b', mfaLogs('b', 4));
    await api.ingest('operate-logs', 'tnt_a', operateLogs('a', 35));
    await api.ingest('operate-logs', 'tnt_b', operateLogs('b', 5));
    tuya = new TuyaContext({ baseUrl: api.url, accessKey: CLIENT_A, secretKey: SECRET_A });
  });
  after(() => api.close());

  test('communication logs: every row once, as the AuthMS admin list has them', async () => {
    const walked = await walk('communication-log', {}, adminA);
    assert.equal(walked.length, 45);
    assert.equal(new Set(ids(walked)).size, 45);
    assert.deepEqual(walked, await authms('/admin/communication/logs', {}, adminA));
    assert.match(String(walked.find((item) => item.id === 'log_a_000')?.recipient), /^138\*{4}\d{4}$/);
  });

  test('MFA audit logs: every row once, as the AuthMS admin list has them', async () => {
    const walked = await walk('mfa-config-audit-log', {}, adminA, 4);
    assert.equal(walked.length, 30);
    assert.deepEqual(walked, await authms('/admin/mfa/config-audit-logs', {}, adminA));
  });

  test('operate logs: every row once, as the Tuya list has them, with tenant_id', async () => {
    const walked = await walk('operate-log', {}, adminA, 6);
    assert.equal(walked.length, 35);
    assert.equal(new Set(ids(walked)).size, 35);
    assert.deepEqual(walked, await tuyaList({}));
    assert.equal(typeof walked[0]?.record_time, 'number');
  });

  test('filters match the kinds’ own APIs', async () => {
    for (const query of [
      { user_id: 'usr_1' },
      { channel: 'email' },
      { status: 'failed' },
      { channel: 'sms', status: 'pending' },
    ]) {
      const walked = await walk('communication-log', query, adminA);
      assert.ok(walked.length > 0, JSON.stringify(query));
      assert.deepEqual(
        walked,
        await authms('/admin/communication/logs', query, adminA),
        JSON.stringify(query),
      );
    }
    for (const query of [
      { action: 'mfa_totp.disabled' },
      { target_type: 'mfa_sms' },
      { operator_id: 'usr_op1' },
    ]) {
      const walked = await walk('mfa-config-audit-log', query, adminA);
      assert.ok(walked.length > 0, JSON.stringify(query));
      assert.deepEqual(
        walked,
        await authms('/admin/mfa/config-audit-logs', query, adminA),
        JSON.stringify(query),
      );
    }
    for (const query of [
      { operate_type: '登录' },
      { merchant_code: 'm2' },
      { operate_type: 'login', merchant_code: 'm1' },
    ]) {
      const walked = await walk('operate-log', query, adminA);
      assert.ok(walked.length > 0, JSON.stringify(query));
      assert.deepEqual(walked, await tuyaList(query), JSON.stringify(query));
    }
    assert.deepEqual(await walk('communication-log', { user_id: 'usr_nobody' }, adminA), []);
  });

  test('key_words finds substrings of operate_content in Chinese and English, as the Tuya API', async () => {
    const cases: [string, string][] = [
      ['登录', '用户登录了系统'],
      ['客厅的灯', '关闭了客厅的灯'],
      ['living room light', 'Turned off the living room LIGHT'],
      ['LOG IN', 'Log in to System 2'],
      ['operator_7', 'Created user operator_7 with role viewer'],
    ];
    for (const [term, content] of cases) {
      const walked = await walk('operate-log', { key_words: term }, adminA);
      assert.equal(walked.length, 7, term);
      assert.ok(
        walked.every((item) => item.operate_content === content),
        term,
      );
      assert.deepEqual(walked, await tuyaList({ key_words: term }), term);
    }
    const combined = await walk('operate-log', { key_words: 'System', merchant_code: 'm1' }, adminA, 2);
    assert.deepEqual(combined, await tuyaList({ key_words: 'System', merchant_code: 'm1' }));
    assert.ok(combined.length > 0);
    assert.deepEqual(await walk('operate-log', { key_words: 'operator_%' }, adminA), [], '% is literal');
  });

  test('from is inclusive and until exclusive, on the kind’s time column', async () => {
    const all = await walk('communication-log', {}, adminA, 100);
    const from = new Date(T0 + 5 * 60_000).toISOString();
    const until = new Date(T0 + 10 * 60_000).toISOString();
    const inRange = all.filter((item) => {
      const time = Date.parse(String(item.created_at));
      return time >= Date.parse(from) && time < Date.parse(until);
    });
    assert.equal(inRange.length, 10, 'five minutes of two rows each: 5:00 included, 10:00 not');
    assert.deepEqual(await walk('communication-log', { from, until }, adminA, 3), inRange);
    const operate = await walk(
      'operate-log',
      { from: new Date(T0 + 3000).toISOString(), until: new Date(T0 + 5000).toISOString() },
      adminA,
    );
    assert.deepEqual(
      operate.map((item) => item.record_time),
      [T0 + 4000, T0 + 4000, T0 + 3000, T0 + 3000],
    );
    const mfa = await walk('mfa-config-audit-log', { from: new Date(T0 + 3_600_000).toISOString() }, adminA);
    assert.equal(mfa.length, 27);
  });

  test('tenants are isolated: own tenant only, another tenant 403, non-admins 403', async () => {
    const a = await walk('communication-log', {}, adminA, 100);
    assert.ok(a.every((item) => item.tenant_id === 'tnt_a'));
    const b = await walk('communication-log', {}, adminB, 100);
    assert.equal(b.length, 5);
    assert.ok(b.every((item) => item.tenant_id === 'tnt_b'));
    assert.deepEqual(await walk('communication-log', { tenant_id: 'tnt_a' }, adminA, 100), a);
    for (const kind of ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log']) {
      const other = await api.request('GET', `/v1/logs/${kind}?tenant_id=tnt_b`, { token: adminA });
      assert.equal(other.status, 403, kind);
      assert.equal(other.body.code, 403);
      assert.equal(typeof other.body.message, 'string');
      for (const token of [user, writer])
        assert.equal((await api.request('GET', `/v1/logs/${kind}`, { token })).status, 403);
      assert.equal((await api.request('GET', `/v1/logs/${kind}`)).status, 401);
    }
    const everyTenant = await walk('operate-log', {}, platform, 100);
    assert.equal(everyTenant.length, 40);
    assert.deepEqual(new Set(everyTenant.map((item) => item.tenant_id)), new Set(['tnt_a', 'tnt_b']));
    const onlyB = await walk('operate-log', { tenant_id: 'tnt_b' }, platform, 100);
    assert.deepEqual(ids(onlyB), ids(everyTenant.filter((item) => item.tenant_id === 'tnt_b')));
  });

  test('bad input is a 400 in the AuthMS shape, never a 500', async () => {
    const cases: [string, RegExp][] = [
      ['/v1/logs/communication-log?limit=0', /limit/],
      ['/v1/logs/communication-log?limit=101', /limit/],
      ['/v1/logs/communication-log?limit=ten', /limit/],
      ['/v1/logs/communication-log?after=not-a-key', /after/],
      ['/v1/logs/communication-log?after=WzEsMl0', /after/],
      ['/v1/logs/communication-log?page=2', /unknown field "page"/],
      ['/v1/logs/operate-log?size=5', /unknown field "size"/],
      ['/v1/logs/communication-log?channel=fax', /channel/],
      ['/v1/logs/communication-log?user_id=', /user_id/],
      ['/v1/logs/mfa-config-audit-log?from=yesterday', /from/],
      ['/v1/logs/mfa-config-audit-log?from=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', /from .*later/],
      ['/v1/logs/operate-log?key_words=' + 'x'.repeat(257), /key_words/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await api.request('GET', path, { token: adminA });
      assert.equal(status, 400, path);
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp'], path);
      assert.equal(body.code, 400);
      assert.match(String(body.message), message, path);
    }
    assert.equal((await api.request('GET', '/v1/logs/no-such-log', { token: adminA })).status, 404);
  });

  test('access logs: the console’s reads are recorded, and read back as /admin/access-logs has them', async () => {
    const auditor = await api.token({ sub: 'usr_console_reader', tenant_id: 'tnt_a', roles: ['admin'] });
    const { body } = await api.request('GET', '/v1/logs/communication-log?limit=3&channel=sms', {
      token: auditor,
    });
    assert.equal((body.data as { items: Item[] }).items.length, 3);
    const mine = { actor: 'usr_console_reader' };
    await waitFor(
      'the console read in the access log',
      async () => (await accessLogs(mine, adminA)).length >= 1,
    );
    const [entry] = await accessLogs(mine, adminA);
    assert.ok(entry);
    assert.equal(entry.route, '/v1/logs/communication-log');
    assert.equal(entry.row_count, 3);
    assert.deepEqual(entry.query, { limit: 3, channel: 'sms' });
    assert.equal(entry.tenant_id, 'tnt_a');
    const walked = await walk('access-log', mine, adminA, 1);
    assert.deepEqual(walked, await accessLogs(mine, adminA));
    const routed = await walk('access-log', { route: '/v1/logs/communication-log' }, adminA, 100);
    assert.ok(routed.length > 0 && routed.every((item) => item.route === '/v1/logs/communication-log'));
  });
});
