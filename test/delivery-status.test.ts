import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type ApiResponse, type TestServer } from './helpers/test-server.js';

type Row = Record<string, unknown>;

const TENANT = 'tnt_a';
const CREATED_AT = '2026-04-15T10:00:00Z';
const TRANSITION_FIELDS = ['changed_at', 'error', 'from_status', 'response', 'sent_at', 'to_status'];

describe('PATCH /v1/ingest/communication-logs/{id}: delivery receipts', () => {
  let api: TestServer;
  let writer: string;
  let admin: string;

  /** Stores a pending log whose user_id is `usr_<id>`, so the admin list can find it alone. */
  const seed = (id: string, extra: Row = {}) =>
    api.ingest('communication-logs', TENANT, [
      {
        id,
        user_id: `usr_${id}`,
        channel: 'email',
        recipient: 'alice@example.com',
        created_at: CREATED_AT,
        ...extra,
      },
    ]);
  const receipt = (id: string, body: Row, token = writer) =>
    api.request('PATCH', `/v1/ingest/communication-logs/${id}`, { token, body });
  /** The one row of the log in the admin list (asserting it is the only one). */
  const listed = async (id: string): Promise<Row> => {
    const { status, body } = await api.request('GET', `/admin/communication/logs?user_id=usr_${id}`, {
      token: admin,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.total, 1, `one row for ${id}`);
    return (body.items as Row[])[0] ?? {};
  };
  const history = async (id: string, token = admin, query = ''): Promise<Row[]> => {
    const response = await api.request('GET', `/admin/communication/logs/${id}/transitions${query}`, {
      token,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items as Row[];
  };
  const moves = (items: Row[]) =>
    items.map((item) => `${String(item.from_status)}→${String(item.to_status)}`);
  /** Applies receipts in order, each expected to be accepted. */
  const advance = async (id: string, ...statuses: string[]) => {
    for (const status of statuses) assertOk(await receipt(id, { status }), status);
  };

  before(async () => {
    api = await startTestServer();
    writer = await api.token({ sub: 'svc_mailer', tenant_id: TENANT, roles: ['audit:write'] });
    admin = await api.token({ sub: 'usr_admin', tenant_id: TENANT, roles: ['admin'] });
  });
  after(() => api.close());

  describe('forward moves', () => {
    test('pending → sent → delivered: 200 with the masked log, updated_at and sent_at set', async () => {
      await seed('log_fwd');
      let fromMs = Date.now();
      const sent = await receipt('log_fwd', { status: 'sent', sent_at: '2026-04-15T18:01:00+08:00' });
      let untilMs = Date.now();
      assertOk(sent, 'sent');
      const sentLog = sent.body.data as Row;
      assert.equal(sentLog.id, 'log_fwd');
      assert.equal(sentLog.recipient, 'a***@example.com');
      assert.ok(!JSON.stringify(sent.body).includes('alice@example.com'));
      assert.equal(sentLog.sent_at, '2026-04-15T10:01:00Z');
      assert.equal(sentLog.created_at, CREATED_AT);
      assertWithin(sentLog.updated_at, fromMs, untilMs);

      fromMs = Date.now();
      const delivered = await receipt('log_fwd', { status: 'delivered', response: '{"receipt":"ok"}' });
      untilMs = Date.now();
      assertOk(delivered, 'delivered');
      const deliveredLog = delivered.body.data as Row;
      assert.equal(deliveredLog.sent_at, '2026-04-15T10:01:00Z');
      assert.equal(deliveredLog.response, '{"receipt":"ok"}');
      assert.equal(deliveredLog.error, null);
      assertWithin(deliveredLog.updated_at, fromMs, untilMs);
      assert.deepEqual(await listed('log_fwd'), deliveredLog);
    });

    test('moving to sent without sent_at sets it to the server time', async () => {
      await seed('log_sent_now');
      const fromMs = Date.now();
      const response = await receipt('log_sent_now', { status: 'sent' });
      const untilMs = Date.now();
      assertOk(response, 'sent');
      const log = response.body.data as Row;
      assertWithin(log.sent_at, fromMs, untilMs);
      assert.equal(log.sent_at, log.updated_at);
      assert.equal((await listed('log_sent_now')).sent_at, log.sent_at);
    });

    test('skipping forward is allowed: pending → delivered, pending → failed with an error', async () => {
      await seed('log_skip_ok');
      const fromMs = Date.now();
      const delivered = await receipt('log_skip_ok', { status: 'delivered' });
      assertOk(delivered, 'delivered');
      assertWithin((delivered.body.data as Row).sent_at, fromMs, Date.now());

      await seed('log_skip_fail');
      assertOk(await receipt('log_skip_fail', { status: 'failed', error: 'mailbox unavailable' }), 'failed');
      const failed = await listed('log_skip_fail');
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'mailbox unavailable');
      assert.deepEqual(moves(await history('log_skip_fail')), ['pending→failed']);
    });
  });

  describe('refused and repeated moves', () => {
    const refusals: [string, string[], string][] = [
      ['delivered → sent', ['delivered'], 'sent'],
      ['delivered → pending', ['sent', 'delivered'], 'pending'],
      ['sent → pending', ['sent'], 'pending'],
      ['delivered → failed', ['delivered'], 'failed'],
      ['failed → delivered', ['failed'], 'delivered'],
      ['failed → sent', ['sent', 'failed'], 'sent'],
    ];
    refusals.forEach(([label, path, next], index) => {
      test(`${label} is 409 and leaves the log and its history unchanged`, async () => {
        const id = `log_back_${index}`;
        await seed(id);
        await advance(id, ...path);
        const [logBefore, historyBefore] = [await listed(id), await history(id)];
        const response = await receipt(id, { status: next, error: 'late receipt' });
        assert.equal(response.status, 409, JSON.stringify(response.body));
        assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
        assert.equal(response.body.code, 409);
        assert.deepEqual(await listed(id), logBefore);
        assert.deepEqual(await history(id), historyBefore);
      });
    });

    test('the same status again is 200 and records nothing', async () => {
      await seed('log_again');
      const pendingAgain = await receipt('log_again', { status: 'pending' });
      assertOk(pendingAgain, 'pending');
      assert.equal((pendingAgain.body.data as Row).updated_at, CREATED_AT);
      assert.deepEqual(await history('log_again'), []);

      const first = await receipt('log_again', { status: 'sent' });
      assertOk(first, 'sent');
      const again = await receipt('log_again', { status: 'sent', error: 'duplicate', response: 'dup' });
      assertOk(again, 'sent');
      assert.deepEqual(again.body.data, first.body.data);
      assert.deepEqual(await listed('log_again'), first.body.data);
      assert.deepEqual(moves(await history('log_again')), ['pending→sent']);
    });
  });

  describe('history: GET /admin/communication/logs/{id}/transitions', () => {
    test('lists every accepted transition oldest first; refused and unchanged ones are left out', async () => {
      await seed('log_hist');
      const fromMs = Date.now();
      await receipt('log_hist', { status: 'sent', sent_at: '2026-04-15T10:01:00Z', response: 'queued' });
      await receipt('log_hist', { status: 'sent' });
      await receipt('log_hist', { status: 'pending' });
      await receipt('log_hist', { status: 'failed', error: 'bounced', response: '550' });
      await receipt('log_hist', { status: 'delivered' });
      const untilMs = Date.now();

      const items = await history('log_hist');
      for (const item of items) assert.deepEqual(Object.keys(item).sort(), TRANSITION_FIELDS);
      assert.deepEqual(moves(items), ['pending→sent', 'sent→failed']);
      const [first, second] = items;
      assert.deepEqual(
        [first?.error, first?.response, first?.sent_at],
        [null, 'queued', '2026-04-15T10:01:00Z'],
      );
      assert.deepEqual([second?.error, second?.response], ['bounced', '550']);
      assertWithin(first?.changed_at, fromMs, untilMs);
      assertWithin(second?.changed_at, Date.parse(String(first?.changed_at)), untilMs);
      const log = await listed('log_hist');
      assert.deepEqual([log.status, log.error, log.response], ['failed', 'bounced', '550']);
    });

    test('a platform admin must name the tenant; other tenants and writers are refused', async () => {
      await seed('log_access');
      await advance('log_access', 'sent');
      const platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
      const path = '/admin/communication/logs/log_access/transitions';
      assertError(await api.request('GET', path, { token: platform }), 400, 'tenant_id');
      assert.deepEqual(moves(await history('log_access', platform, `?tenant_id=${TENANT}`)), [
        'pending→sent',
      ]);

      const otherAdmin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_b', roles: ['admin'] });
      assertError(await api.request('GET', path, { token: otherAdmin }), 404, 'log_access');
      assertError(await api.request('GET', `${path}?tenant_id=${TENANT}`, { token: otherAdmin }), 403);
      assertError(await api.request('GET', path, { token: writer }), 403);
      assertError(
        await api.request('GET', '/admin/communication/logs/log_nope/transitions', { token: admin }),
        404,
      );
    });
  });

  describe('who may update which log, and what', () => {
    test('an unknown id is 404', async () => {
      assertError(await receipt('log_missing', { status: 'sent' }), 404, 'log_missing');
    });

    test("another tenant's writer gets 404 and the log is unchanged; an admin token gets 403", async () => {
      await seed('log_guarded');
      const before = await listed('log_guarded');
      const otherWriter = await api.token({ sub: 'svc_other', tenant_id: 'tnt_b', roles: ['audit:write'] });
      assertError(await receipt('log_guarded', { status: 'sent' }, otherWriter), 404);
      assertError(await receipt('log_guarded', { status: 'sent', tenant_id: TENANT }, otherWriter), 403);
      assertError(await receipt('log_guarded', { status: 'sent' }, admin), 403);
      assert.deepEqual(await listed('log_guarded'), before);
      assert.deepEqual(await history('log_guarded'), []);
    });

    test('an unknown status or body field is 400 naming it', async () => {
      await seed('log_badbody');
      assertError(
        await receipt('log_badbody', { status: 'gone' }),
        400,
        'status',
        'pending, sent, failed, delivered',
      );
      assertError(await receipt('log_badbody', { status: 'sent', colour: 'red' }), 400, 'colour');
      assertError(await receipt('log_badbody', {}), 400, 'status');
      assertError(await receipt('log_badbody', { status: 'sent', sent_at: 'yesterday' }), 400, 'sent_at');
      assert.equal((await listed('log_badbody')).status, 'pending');
    });

    test('a platform writer must give tenant_id in the body', async () => {
      await seed('log_platform');
      const platformWriter = await api.token({ sub: 'svc_platform', roles: ['audit:write'] });
      assertError(await receipt('log_platform', { status: 'sent' }, platformWriter), 400, 'tenant_id');
      assert.equal((await listed('log_platform')).status, 'pending');
      assertOk(await receipt('log_platform', { status: 'sent', tenant_id: TENANT }, platformWriter), 'sent');
    });
  });

  describe('concurrent receipts', () => {
    test('10 receipts at once leave a valid forward chain and no 500s', async () => {
      await seed('log_race');
      const statuses = [
        'delivered',
        'sent',
        'sent',
        'delivered',
        'sent',
        'delivered',
        'sent',
        'sent',
        'delivered',
        'sent',
      ];
      const responses = await Promise.all(statuses.map((status) => receipt('log_race', { status })));
      for (const response of responses) {
        assert.ok(
          [200, 409].includes(response.status),
          `${response.status} ${JSON.stringify(response.body)}`,
        );
      }
      assert.ok(responses.some((response) => response.status === 200));

      const items = await history('log_race');
      assert.ok(items.length >= 1 && items.length <= 2, moves(items).join(', '));
      let current = 'pending';
      for (const item of items) {
        assert.equal(item.from_status, current, moves(items).join(', '));
        current = String(item.to_status);
      }
      assert.equal(current, 'delivered');
      assert.equal((await listed('log_race')).status, 'delivered');
    });
  });
});

function assertOk(response: ApiResponse, status: string): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'data', 'message', 'timestamp']);
  assert.equal(response.body.code, 200);
  assert.equal(typeof response.body.message, 'string');
  assert.equal((response.body.data as Row).status, status);
}

/** An AuthMS error body with `status`, its message naming every fragment. */
function assertError(response: ApiResponse, status: number, ...fragments: string[]): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
  assert.equal(response.body.code, status);
  const message = String(response.body.message);
  for (const fragment of fragments) assert.ok(message.includes(fragment), `"${message}" names ${fragment}`);
}

function assertWithin(time: unknown, fromMs: number, untilMs: number): void {
  assert.match(String(time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  const ms = Date.parse(String(time));
  assert.ok(ms >= fromMs && ms <= untilMs, `${String(time)} is between the request's start and end`);
}
