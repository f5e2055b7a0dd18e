import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const FIELDS = [
  'action',
  'id',
  'message',
  'module',
  'operator_id',
  'target_id',
  'target_type',
  'tenant_id',
  'timestamp',
];

describe('GET /admin/mfa/config-audit-logs', () => {
  let api: TestServer;
  let admin: string;
  const ids = async (query: string, token = admin) => {
    const { status, body } = await api.request('GET', `/admin/mfa/config-audit-logs${query}`, { token });
    assert.equal(status, 200, JSON.stringify(body));
    return (body.items as { id: string }[]).map((item) => item.id);
  };

  before(async () => {
    api = await startTestServer();
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_001', roles: ['admin'] });
    const entry = (id: string, timestamp: string, extra: Record<string, string> = {}) => ({
      id,
      action: 'mfa_totp.enabled',
      target_type: 'mfa_totp',
      target_id: 'mfa_abc123',
      operator_id: 'usr_admin',
      module: 'data',
      message: 'TOTP enabled successfully',
      timestamp,
      ...extra,
    });
    await api.ingest('mfa-config-audit-logs', 'tnt_001', [
      entry('mfa_1', '2026-05-14T23:59:59.999Z'),
      entry('mfa_2', '2026-05-15T00:00:00Z', { action: 'mfa_totp.disabled', message: '管理员关闭了TOTP' }),
      entry('mfa_3', '2026-05-15T10:00:00Z', { operator_id: 'usr_alice' }),
      entry('mfa_4', '2026-05-16T23:59:59.999Z', { target_type: 'mfa_sms', action: 'mfa_sms.enabled' }),
      entry('mfa_5', '2026-05-17T00:00:00Z'),
    ]);
    await api.ingest('mfa-config-audit-logs', 'tnt_002', [entry('mfa_other', '2026-05-15T10:00:00Z')]);
  });
  after(() => api.close());

  test('returns dto.MFAConfigAuditLogListResponse newest first, with every field', async () => {
    const { status, body } = await api.request('GET', '/admin/mfa/config-audit-logs', { token: admin });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), [
      'code',
      'items',
      'message',
      'pagination',
      'timestamp',
      'total',
    ]);
    assert.equal(body.code, 200);
    assert.equal(body.total, 5);
    const items = body.items as Record<string, unknown>[];
    assert.deepEqual(
      items.map((item) => item.id),
      ['mfa_5', 'mfa_4', 'mfa_3', 'mfa_2', 'mfa_1'],
    );
    for (const item of items) assert.deepEqual(Object.keys(item).sort(), FIELDS);
    assert.deepEqual(items[2], {
      id: 'mfa_3',
      tenant_id: 'tnt_001',
      action: 'mfa_totp.enabled',
      target_type: 'mfa_totp',
      target_id: 'mfa_abc123',
      operator_id: 'usr_alice',
      module: 'data',
      message: 'TOTP enabled successfully',
      timestamp: '2026-05-15T10:00:00Z',
    });
  });

  test('filters exactly by action, target_type and operator_id', async () => {
    assert.deepEqual(await ids('?action=mfa_totp.disabled'), ['mfa_2']);
    assert.deepEqual(await ids('?action=mfa_totp'), []);
    assert.deepEqual(await ids('?target_type=mfa_sms'), ['mfa_4']);
    assert.deepEqual(await ids('?operator_id=usr_alice'), ['mfa_3']);
    assert.deepEqual(await ids('?operator_id=usr_admin&action=mfa_totp.enabled'), ['mfa_5', 'mfa_1']);
  });

  test('start_date and end_date are whole UTC days, both inclusive', async () => {
    assert.deepEqual(await ids('?start_date=2026-05-15&end_date=2026-05-16'), ['mfa_4', 'mfa_3', 'mfa_2']);
    assert.deepEqual(await ids('?start_date=2026-05-15&end_date=2026-05-15'), ['mfa_3', 'mfa_2']);
    assert.deepEqual(await ids('?start_date=2026-05-16'), ['mfa_5', 'mfa_4']);
    assert.deepEqual(await ids('?end_date=2026-05-14'), ['mfa_1']);
  });

  test('pages with the shared page and page_size parameters', async () => {
    const { body } = await api.request('GET', '/admin/mfa/config-audit-logs?page=2&page_size=2', {
      token: admin,
    });
    assert.deepEqual(
      (body.items as { id: string }[]).map((item) => item.id),
      ['mfa_3', 'mfa_2'],
    );
    assert.deepEqual(body.pagination, {
      page: 2,
      page_size: 2,
      total: 5,
      total_pages: 3,
      has_next: true,
      has_prev: true,
    });
  });

  test('tenants stay apart; a platform admin reads every tenant', async () => {
    const other = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_002', roles: ['admin'] });
    assert.deepEqual(await ids('', other), ['mfa_other']);
    const platform = await api.token({ sub: 'root', roles: ['admin'] });
    assert.equal((await ids('', platform)).length, 6);
  });

  test('refuses bad dates and pages with 400 naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['start_date=2026-02-30', /start_date must be a real calendar date as YYYY-MM-DD/],
      ['end_date=2026-13-01', /end_date must be a real calendar date/],
      ['start_date=15-05-2026', /start_date must be a date as YYYY-MM-DD/],
      ['end_date=2026-05-15T00:00:00Z', /end_date must be a date as YYYY-MM-DD/],
      ['start_date=2026-05-17&end_date=2026-05-16', /start_date 2026-05-17 is after end_date 2026-05-16/],
      ['page=0', /page must be an integer from 1/],
      ['page_size=1000', /page_size must be an integer from 1 to 100/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await api.request('GET', `/admin/mfa/config-audit-logs?${query}`, {
        token: admin,
      });
      assert.equal(status, 400, query);
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp']);
      assert.match(String(body.message), message, query);
    }
  });

  test('is for admins only', async () => {
    const user = await api.token({ sub: 'usr_alice', tenant_id: 'tnt_001' });
    const { status, body } = await api.request('GET', '/admin/mfa/config-audit-logs', { token: user });
    assert.equal(status, 403);
    assert.equal(body.code, 403);
  });
});
