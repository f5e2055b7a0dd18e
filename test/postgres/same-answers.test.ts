import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { signedRequest } from '../helpers/tuya-signing.js';
import { ACCESS_LOG_TABLE } from '../../src/kinds/access-log/access-log-table.js';

const CLIENT = 'sameanswers00001';
const SECRET = 'same-answers-secret-0123';
const T0 = Date.UTC(2026, 4, 15, 8);

/** Ids and texts chosen where the stores could differ: collation, case folding, LIKE wildcards, ties. */
const IDS = ['a', 'B', 'b', 'a-1', 'a_1', 'A1', 'a.1', 'Z', 'z9', '~'];
const CONTENTS = [
  'Device ÉCLAIR on',
  'device éclair off',
  'user Login 100%',
  'user login 100_x',
  '设备上线 Device',
  '设备离线',
  'ΑΒΓ device',
  'αβγ DEVICE',
  'plain',
  '设备',
];

function fixtures() {
  const communication = IDS.map((id, i) => ({
    id: `log_${id}`,
    user_id: i % 2 === 0 ? 'usr_even' : 'usr_odd',
    channel: (['sms', 'email', 'push'] as const)[i % 3],
    recipient: i % 3 === 1 ? `user${i}@example.com` : `1380013800${i}`,
    content: CONTENTS[i] ?? '',
    created_at: new Date(T0 + Math.floor(i / 3) * 1000).toISOString(),
  }));
  const mfa = IDS.map((id, i) => ({
    id: `mfa_${id}`,
    action: i % 2 === 0 ? 'mfa_totp.enabled' : 'mfa_totp.disabled',
    target_type: 'mfa_totp',
    operator_id: i % 3 === 0 ? 'usr_admin' : 'usr_alice',
    message: CONTENTS[i] ?? '',
    timestamp: new Date(T0 + (i - 5) * 3_600_000 * 5).toISOString(),
  }));
  const operate = IDS.flatMap((id, i) =>
    Array.from({ length: 30 }, (_, j) => ({
      id: `op_${id}_${j}`,
      record_time: T0 + Math.floor((i * 30 + j) / 4) * 1000,
      operate_type: j % 2 === 0 ? 'login' : 'device',
      operate_content: `${CONTENTS[(i + j) % CONTENTS.length] ?? ''} #${j}`,
      merchant_code: j % 3 === 0 ? 'm1' : 'm2',
    })),
  );
  return { communication, mfa, operate };
}

const ADMIN_QUERIES = [
  '/admin/communication/logs?page_size=4',
  '/admin/communication/logs?page_size=4&page=2',
  '/admin/communication/logs?page_size=3&page=4',
  '/admin/communication/logs?user_id=usr_even',
  '/admin/communication/logs?channel=email',
  '/admin/communication/logs?status=pending&channel=sms',
  '/admin/mfa/config-audit-logs?page_size=100',
  '/admin/mfa/config-audit-logs?operator_id=usr_alice&start_date=2026-05-14&end_date=2026-05-15',
  '/admin/mfa/config-audit-logs?action=mfa_totp.disabled&page_size=2&page=2',
];

const TUYA_QUERIES: Record<string, string>[] = [
  { size: '7' },
  { size: '50', key_words: 'device' },
  { size: '50', key_words: 'DEVICE' },
  { size: '50', key_words: 'éclair' },
  { size: '50', key_words: 'ÉCLAIR' },
  { size: '50', key_words: 'αβγ' },
  { size: '50', key_words: '设备' },
  { size: '50', key_words: '设' },
  { size: '50', key_words: '100%' },
  { size: '50', key_words: '100_' },
  { size: '50', key_words: 'login 100' },
  { size: '20', operate_type: 'device', merchant_code: 'm1' },
  { size: '20', start_time: String(T0 + 10_000), end_time: String(T0 + 40_000) },
];

/**
 * Access-log rows stored alike in both stores, where they could differ: actors and routes that
 * collate differently, ties on accessed_at broken by ids of mixed case, queries in other scripts.
 */
const ACCESS_TENANT = 'tnt_access';
function accessLogs() {
  return IDS.flatMap((id, i) =>
    Array.from({ length: 6 }, (_, j) => ({
      tenant_id: ACCESS_TENANT,
      id: `acc_${id}_${j}`,
      accessed_at: T0 + Math.floor((i * 6 + j) / 5) * 1000,
      actor: ['usr_a', 'usr_B', 'usr_b', 'Usr_a'][(i + j) % 4] ?? '',
      api: j % 3 === 0 ? ('tuya' as const) : ('authms' as const),
      method: 'GET',
      route: j % 2 === 0 ? '/admin/communication/logs' : '/admin/mfa/config-audit-logs',
      query: JSON.stringify({ page: j + 1, key_words: CONTENTS[(i + j) % CONTENTS.length] ?? '' }),
      row_count: (i * j) % 21,
      status: j === 5 ? 403 : 200,
      error: j === 5 ? 'this endpoint requires the admin role' : '',
      ip: '127.0.0.1',
      duration_ms: i + j,
    })),
  );
}

/** Before the servers' frozen clock: their own records of these reads (random ids) stay out. */
const BEFORE_NOW = `end_time=${new Date(T0 + 86_400_000).toISOString()}`;
const ACCESS_QUERIES = [
  `size=7&${BEFORE_NOW}`,
  `size=100&${BEFORE_NOW}`,
  'size=5&actor=usr_b',
  'size=5&actor=usr_B',
  `size=3&route=/admin/mfa/config-audit-logs&${BEFORE_NOW}`,
  `size=4&start_time=${new Date(T0 + 3000).toISOString()}&end_time=${new Date(T0 + 9000).toISOString()}`,
];

/** Every field of a response except the server clock (`timestamp`, Tuya `t`) and trace ids. */
function comparable(text: string): unknown {
  const body = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !['timestamp', 't', 'tid'].includes(key)));
}

async function tuyaToken(api: TestServer): Promise<string> {
  const request = signedRequest('/v1.0/token', {
    clientId: CLIENT,
    secret: SECRET,
    query: { grant_type: '1' },
  });
  const response = await fetch(api.url + request.url, { headers: request.headers });
  const body = (await response.json()) as { result: { access_token: string } };
  return body.result.access_token;
}

describe('SQLite and PostgreSQL give the same answers', { skip: !TEST_DATABASE_URL }, () => {
  let schema: TestSchema;
  const servers: TestServer[] = [];

  before(async () => {
    schema = await createTestSchema();
    const settings = { TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_s` };
    // One frozen clock for both, so that the times the servers write (updated_at) agree too.
    const frozen = Date.now();
    const clock = { now: () => frozen };
    const onPostgres = await startTestServer({ ...settings, DATABASE_URL: schema.url }, clock);
    const onSqlite = await startTestServer(settings, clock);
    servers.push(onSqlite, onPostgres);
    const { communication, mfa, operate } = fixtures();
    for (const api of servers) {
      await api.ingest('communication-logs', 'tnt_s', communication);
      await api.ingest('mfa-config-audit-logs', 'tnt_s', mfa);
      await api.ingest('operate-logs', 'tnt_s', operate);
      const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_s', roles: ['audit:write'] });
      const receipt = await api.request('PATCH', '/v1/ingest/communication-logs/log_B', {
        token: writer,
        body: { status: 'failed', error: 'timeout', sent_at: new Date(T0 + 5).toISOString() },
      });
      assert.equal(receipt.status, 200);
      await api.server.store.rows(ACCESS_LOG_TABLE).insertMany(accessLogs());
    }
  });
  after(async () => {
    for (const api of servers) await api.close();
    await schema.drop();
  });

  test('AuthMS lists: byte for byte, but for the server clock', async () => {
    for (const path of ADMIN_QUERIES) {
      const answers = await Promise.all(
        servers.map(async (api) => {
          const token = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_s', roles: ['admin'] });
          const response = await fetch(api.url + path, { headers: { authorization: `Bearer ${token}` } });
          assert.equal(response.status, 200, path);
          return comparable(await response.text());
        }),
      );
      assert.deepEqual(answers[1], answers[0], path);
    }
  });

  test('Tuya operate logs, every page of every query: byte for byte, but for the server clock', async () => {
    const tokens = await Promise.all(servers.map(tuyaToken));
    for (const query of TUYA_QUERIES) {
      let next: Record<string, string> = {};
      for (let page = 0; page < 40; page++) {
        const answers = await Promise.all(
          servers.map(async (api, i) => {
            const request = signedRequest('/v1.0/iot-03/audit/operate-logs', {
              clientId: CLIENT,
              secret: SECRET,
              accessToken: tokens[i] ?? '',
              query: { ...query, ...next },
            });
            const response = await fetch(api.url + request.url, { headers: request.headers });
            return comparable(await response.text()) as { success: boolean; result: Record<string, unknown> };
          }),
        );
        const [sqlite, postgres] = answers;
        assert.equal(sqlite?.success, true, JSON.stringify(sqlite));
        assert.deepEqual(postgres, sqlite, JSON.stringify(query));
        if (sqlite.result.has_more !== true) break;
        next = { last_row_key: String(sqlite.result.last_row_key) };
      }
    }
  });

  test('access logs, every page of every query: byte for byte, but for the server clock', async () => {
    for (const query of ACCESS_QUERIES) {
      let next = '';
      for (let page = 0; page < 40; page++) {
        const answers = await Promise.all(
          servers.map(async (api) => {
            const token = await api.token({ sub: 'usr_platform', roles: ['admin'] });
            const path = `/admin/access-logs?tenant_id=${ACCESS_TENANT}&${query}${next}`;
            const response = await fetch(api.url + path, { headers: { authorization: `Bearer ${token}` } });
            assert.equal(response.status, 200, path);
            return comparable(await response.text()) as {
              items: unknown[];
              has_more: boolean;
              last_row_key: string;
            };
          }),
        );
        const [sqlite, postgres] = answers;
        assert.ok(sqlite !== undefined && sqlite.items.length > 0, query);
        assert.deepEqual(postgres, sqlite, query);
        if (!sqlite.has_more) break;
        next = `&last_row_key=${sqlite.last_row_key}`;
      }
    }
  });
});
