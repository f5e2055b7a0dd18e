import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const FIELDS = [
  'channel',
  'content',
  'created_at',
  'error',
  'id',
  'provider',
  'recipient',
  'response',
  'sent_at',
  'status',
  'template_id',
  'tenant_id',
  'updated_at',
  'user_id',
];

function log(overrides: Record<string, unknown>) {
  return {
    user_id: 'usr_alice',
    channel: 'sms',
    status: 'delivered',
    recipient: '13800138000',
    content: '您的验证码是123456',
    provider: 'aliyun',
    template_id: 'tpl_abc123',
    created_at: '2026-04-15T10:00:00Z',
    ...overrides,
  };
}

describe('GET /admin/communication/logs and GET /communication/logs', () => {
  let api: TestServer;
  let adminA: string;

  before(async () => {
    api = await startTestServer();
    adminA = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    await api.ingest('communication-logs', 'tnt_a', [
      log({ id: 'log_a1', created_at: '2026-04-15T10:00:00Z', sent_at: '2026-04-15T10:01:00Z' }),
      log({
        id: 'log_a2',
        user_id: 'usr_bob',
        channel: 'email',
        recipient: 'alice@example.com',
        status: 'failed',
        error: '发送超时',
        created_at: '2026-04-15T11:00:00Z',
      }),
      log({
        id: 'log_a3',
        channel: 'push',
        recipient: 'dvc_0123456789abcdef',
        status: 'pending',
        created_at: '2026-04-15T12:00:00.250Z',
      }),
    ]);
    await api.ingest('communication-logs', 'tnt_b', [
      log({ id: 'log_b1', user_id: 'usr_alice', recipient: '13900139000' }),
    ]);
  });
  after(() => api.close());

  test('returns the AuthMS list envelope, newest first, every field present', async () => {
    const { status, body } = await api.request('GET', '/admin/communication/logs', { token: adminA });
    assert.equal(status, 200);
    assert.equal(body.code, 200);
    assert.equal(typeof body.message, 'string');
    assert.match(String(body.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    assert.equal(body.total, 3);
    assert.deepEqual(body.pagination, {
      page: 1,
      page_size: 20,
      total: 3,
      total_pages: 1,
      has_next: false,
      has_prev: false,
    });
    const items = body.items as Record<string, unknown>[];
    assert.deepEqual(
      items.map((item) => item.id),
      ['log_a3', 'log_a2', 'log_a1'],
    );
    for (const item of items) assert.deepEqual(Object.keys(item).sort(), FIELDS);
    assert.deepEqual(items[2], {
      id: 'log_a1',
      tenant_id: 'tnt_a',
      user_id: 'usr_alice',
      channel: 'sms',
      status: 'delivered',
      recipient: '138****8000',
      content: '您的验证码是123456',
      provider: 'aliyun',
      template_id: 'tpl_abc123',
      error: null,
      response: null,
      sent_at: '2026-04-15T10:01:00Z',
      created_at: '2026-04-15T10:00:00Z',
      updated_at: '2026-04-15T10:00:00Z',
    });
    assert.equal(items[0]?.created_at, '2026-04-15T12:00:00.25Z');
  });

  test('masks every recipient: phone, e-mail and device token', async () => {
    const { body } = await api.request('GET', '/admin/communication/logs', { token: adminA });
    const recipients = (body.items as { recipient: string }[]).map((item) => item.recipient);
    assert.deepEqual(recipients, ['dvc****cdef', 'a***@example.com', '138****8000']);
    const raw = JSON.stringify(body);
    for (const secret of ['13800138000', 'alice@example.com', 'dvc_0123456789abcdef'])
      assert.ok(!raw.includes(secret));
  });

  test('filters by user_id, channel and status', async () => {
    const byUser = await api.request('GET', '/admin/communication/logs?user_id=usr_bob', { token: adminA });
    assert.deepEqual(
      (byUser.body.items as { id: string }[]).map((item) => item.id),
      ['log_a2'],
    );
    const byChannel = await api.request('GET', '/admin/communication/logs?channel=push', { token: adminA });
    assert.deepEqual(
      (byChannel.body.items as { id: string }[]).map((item) => item.id),
      ['log_a3'],
    );
    const byBoth = await api.request('GET', '/admin/communication/logs?channel=sms&status=delivered', {
      token: adminA,
    });
    assert.deepEqual(
      (byBoth.body.items as { id: string }[]).map((item) => item.id),
      ['log_a1'],
    );
    const none = await api.request('GET', '/admin/communication/logs?channel=email&status=delivered', {
      token: adminA,
    });
    assert.equal(none.body.total, 0);
    assert.deepEqual(none.body.items, []);
  });

  test('a tenant admin never sees another tenant, a platform admin sees every tenant', async () => {
    const adminB = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_b', roles: ['admin'] });
    const tenantB = await api.request('GET', '/admin/communication/logs', { token: adminB });
    assert.deepEqual(
      (tenantB.body.items as { id: string }[]).map((item) => item.id),
      ['log_b1'],
    );
    const crossTenant = await api.request('GET', '/admin/communication/logs?tenant_id=tnt_a', {
      token: adminB,
    });
    assert.equal(crossTenant.status, 403);

    const platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    const all = await api.request('GET', '/admin/communication/logs', { token: platform });
    assert.equal(all.body.total, 4);
    const onlyB = await api.request('GET', '/admin/communication/logs?tenant_id=tnt_b', { token: platform });
    assert.deepEqual(
      (onlyB.body.items as { id: string }[]).map((item) => item.id),
      ['log_b1'],
    );
  });

  test('an ordinary user reads only its own logs of its own tenant', async () => {
    const alice = await api.token({ sub: 'usr_alice', tenant_id: 'tnt_a' });
    const own = await api.request('GET', '/communication/logs', { token: alice });
    assert.equal(own.status, 200);
    assert.deepEqual(
      (own.body.items as { id: string }[]).map((item) => item.id),
      ['log_a3', 'log_a1'],
    );
    assert.equal(own.body.total, 2);
    const explicit = await api.request('GET', '/communication/logs?user_id=usr_alice&channel=sms', {
      token: alice,
    });
    assert.deepEqual(
      (explicit.body.items as { id: string }[]).map((item) => item.id),
      ['log_a1'],
    );

    const other = await api.request('GET', '/communication/logs?user_id=usr_bob', { token: alice });
    assert.equal(other.status, 403);
    assert.equal(other.body.code, 403);
    assert.match(String(other.body.message), /user_id/);

    const admin = await api.request('GET', '/admin/communication/logs', { token: alice });
    assert.equal(admin.status, 403);
    assert.deepEqual(Object.keys(admin.body).sort(), ['code', 'message', 'timestamp']);
  });

  test('refuses bad parameters with 400 naming the parameter and what is allowed', async () => {
    const cases: [string, RegExp][] = [
      ['channel=fax', /channel must be one of sms, email, push/],
      ['status=lost', /status must be one of pending, sent, failed, delivered/],
      ['page=0', /page must be an integer from 1 to/],
      ['page=abc', /page must be an integer/],
      ['page=1.5', /page must be an integer/],
      ['page_size=0', /page_size must be an integer from 1 to 100/],
      ['page_size=101', /page_size must be an integer from 1 to 100/],
      ['page=99999999999999999999', /page must be an integer from 1 to/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await api.request('GET', `/admin/communication/logs?${query}`, {
        token: adminA,
      });
      assert.equal(status, 400, query);
      assert.equal(body.code, 400, query);
      assert.match(String(body.message), message, query);
    }
  });

  test('a page past the end is 200 with no items', async () => {
    const { status, body } = await api.request('GET', '/admin/communication/logs?page=7&page_size=2', {
      token: adminA,
    });
    assert.equal(status, 200);
    assert.deepEqual(body.items, []);
    assert.deepEqual(body.pagination, {
      page: 7,
      page_size: 2,
      total: 3,
      total_pages: 2,
      has_next: false,
      has_prev: true,
    });
  });
});

describe('paging over rows that share one created_at', () => {
  let api: TestServer;
  after(() => api.close());

  test('walking every page returns each row exactly once, in a stable order', async () => {
    api = await startTestServer();
    const ids = Array.from({ length: 95 }, (_, index) => `log_tie_${String(index).padStart(3, '0')}`);
    const records = ids.map((id, index) =>
      log({ id, created_at: index < 60 ? '2026-04-15T10:00:00Z' : '2026-04-15T09:00:00Z' }),
    );
    await api.ingest('communication-logs', 'tnt_a', records);
    const admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    const seen: string[] = [];
    for (let page = 1; ; page += 1) {
      const { body } = await api.request('GET', `/admin/communication/logs?page=${page}&page_size=7`, {
        token: admin,
      });
      const pagination = body.pagination as { has_next: boolean; total_pages: number };
      seen.push(...(body.items as { id: string }[]).map((item) => item.id));
      if (!pagination.has_next) {
        assert.equal(page, pagination.total_pages);
        break;
      }
    }
    assert.equal(seen.length, 95);
    assert.equal(new Set(seen).size, 95);
    // Newer second first (records 0-59), each second's rows by id descending.
    const expected = [...ids.slice(0, 60).reverse(), ...ids.slice(60).reverse()];
    assert.deepEqual(seen, expected);
  });
});
