import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type ApiResponse, type TestServer } from './helpers/test-server.js';

const KINDS = {
  'communication-logs': { prefix: 'log_', list: '/admin/communication/logs' },
  'mfa-config-audit-logs': { prefix: 'mfa_', list: '/admin/mfa/config-audit-logs' },
  'operate-logs': { prefix: 'op_', list: undefined },
} as const;
type Kind = keyof typeof KINDS;
type Row = Record<string, unknown>;
const KIND_NAMES = Object.keys(KINDS) as Kind[];
const MINIMAL: Record<Kind, Row> = {
  'communication-logs': { user_id: 'usr_1', channel: 'sms', recipient: '13800138000' },
  'mfa-config-audit-logs': { action: 'mfa_totp.enabled', target_type: 'mfa_totp', operator_id: 'usr_1' },
  'operate-logs': { operate_type: 'login' },
};

/** A minimal valid record of `kind`; `extra` adds or overrides fields. */
function record(kind: Kind, extra: Row = {}): Row {
  return { ...MINIMAL[kind], ...extra };
}

/** The ids `<prefix><tag>_<index>` for `indexes`. */
function idsOf(kind: Kind, tag: string, ...indexes: number[]): string[] {
  return indexes.map((index) => `${KINDS[kind].prefix}${tag}_${index}`);
}

/** `count` records of `kind` with ids `<prefix><tag>_<index>`. */
function batch(kind: Kind, tag: string, count: number): Row[] {
  return Array.from({ length: count }, (_, index) => record(kind, { id: idsOf(kind, tag, index)[0] }));
}

function omit(row: Row, field: string): Row {
  return Object.fromEntries(Object.entries(row).filter(([key]) => key !== field));
}

/** POSTs `body` (JSON, or NDJSON text when `ndjson`) with a writer token of `tenantId` (platform when undefined). */
async function post(
  api: TestServer,
  kind: Kind,
  tenantId: string | undefined,
  body: unknown,
  ndjson = false,
) {
  const claims = { sub: 'svc_writer', roles: ['audit:write'], ...(tenantId ? { tenant_id: tenantId } : {}) };
  const token = await api.token(claims);
  if (!ndjson) return api.request('POST', `/v1/ingest/${kind}`, { token, body });
  const headers = { 'content-type': 'application/x-ndjson' };
  return api.request('POST', `/v1/ingest/${kind}`, { token, rawBody: String(body), headers });
}

/** Every stored row of `kind` in `tenantId`: read through the admin API, operate logs from the store. */
async function storedRows(api: TestServer, kind: Kind, tenantId: string, query = ''): Promise<Row[]> {
  const path = KINDS[kind].list;
  if (path === undefined) {
    const rows = await api.server.store.operateLogs.page({ tenantId }, undefined, 100_000);
    return rows.sort((a, b) => (a.id < b.id ? -1 : 1)) as unknown as Row[];
  }
  const token = await api.token({ sub: 'usr_admin', tenant_id: tenantId, roles: ['admin'] });
  const rows: Row[] = [];
  for (let page = 1; ; page += 1) {
    const { status, body } = await api.request('GET', `${path}?page_size=100&page=${page}${query}`, {
      token,
    });
    assert.equal(status, 200, JSON.stringify(body));
    const items = body.items as Row[];
    if (items.length === 0) return rows;
    rows.push(...items);
  }
}

async function storedIds(api: TestServer, kind: Kind, tenantId: string): Promise<string[]> {
  return (await storedRows(api, kind, tenantId)).map((row) => String(row.id)).sort();
}

/** An AuthMS error: `status`, `{code, message, timestamp}`, the message naming every fragment. */
function assertRefused(response: ApiResponse, status: number, ...fragments: string[]): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
  assert.equal(response.body.code, status);
  const message = String(response.body.message);
  for (const fragment of fragments) assert.ok(message.includes(fragment), `"${message}" names ${fragment}`);
}

function assertAck(response: ApiResponse, ids: readonly string[], duplicates: readonly string[] = []): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.code, 200);
  assert.deepEqual(response.body.ids, ids);
  assert.equal(response.body.inserted, ids.length - duplicates.length);
  assert.deepEqual(response.body.duplicates, duplicates);
}

function assertWithin(time: unknown, fromMs: number, untilMs: number): void {
  assert.match(String(time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  const ms = Date.parse(String(time));
  assert.ok(ms >= fromMs && ms <= untilMs, `${String(time)} is between the request's start and end`);
}

describe('POST /v1/ingest/*', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer();
  });
  after(() => api.close());

  describe('batches, ids and idempotency', () => {
    for (const kind of KIND_NAMES) {
      test(`${kind}: 1,000 records in one JSON array, ids kept or generated, in the order sent`, async () => {
        const { prefix } = KINDS[kind];
        const given = (index: number) => (index % 2 === 0 ? { id: `${prefix}bulk_${index}` } : {});
        const records = Array.from({ length: 1000 }, (_, index) => record(kind, given(index)));
        const response = await post(api, kind, 'tnt_bulk', records);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        const ids = response.body.ids as string[];
        assert.deepEqual([ids.length, response.body.inserted, response.body.duplicates], [1000, 1000, []]);
        ids.forEach((id, index) => {
          if (index % 2 === 0) assert.equal(id, `${prefix}bulk_${index}`);
          else assert.ok(id.startsWith(prefix) && !id.includes('bulk'), `generated id ${id}`);
        });
        assert.equal(new Set(ids).size, 1000);
        assert.deepEqual(await storedIds(api, kind, 'tnt_bulk'), [...ids].sort());
      });
    }

    test('NDJSON bodies are accepted for every kind, blank lines ignored', async () => {
      for (const kind of KIND_NAMES) {
        const [a, b, c] = batch(kind, 'nd', 3).map((row) => JSON.stringify(row));
        const text = `\n${String(a)}\n\n   \n${String(b)}\r\n${String(c)}\n\n`;
        assertAck(await post(api, kind, 'tnt_nd', text, true), idsOf(kind, 'nd', 0, 1, 2));
        assert.deepEqual(await storedIds(api, kind, 'tnt_nd'), idsOf(kind, 'nd', 0, 1, 2));
      }
    });

    test('a bad NDJSON line is refused with 400 naming the line; nothing is stored', async () => {
      const [first, second] = batch('communication-logs', 'ndbad', 2).map((row) => JSON.stringify(row));
      const text = `${String(first)}\n\n{"user_id": "usr_x", \n${String(second)}\n`;
      assertRefused(await post(api, 'communication-logs', 'tnt_ndbad', text, true), 400, 'line 3');
      assert.deepEqual(await storedIds(api, 'communication-logs', 'tnt_ndbad'), []);
    });

    for (const kind of KIND_NAMES) {
      test(`${kind}: re-sending stores nothing twice; a mixed batch stores only the new records`, async () => {
        const records = batch(kind, 'idem', 6);
        const known = records.slice(0, 4);
        const knownIds = idsOf(kind, 'idem', 0, 1, 2, 3);
        assertAck(await post(api, kind, 'tnt_idem', known), knownIds);
        assertAck(await post(api, kind, 'tnt_idem', known), knownIds, knownIds);
        assert.deepEqual(await storedIds(api, kind, 'tnt_idem'), knownIds);

        const mixed = [records[4], records[1], records[5], records[3]];
        assertAck(
          await post(api, kind, 'tnt_idem', mixed),
          idsOf(kind, 'idem', 4, 1, 5, 3),
          idsOf(kind, 'idem', 1, 3),
        );
        assert.deepEqual(await storedIds(api, kind, 'tnt_idem'), idsOf(kind, 'idem', 0, 1, 2, 3, 4, 5));
      });
    }

    test('the same id twice in one batch is 400 naming both records; nothing is stored', async () => {
      for (const kind of KIND_NAMES) {
        const records = batch(kind, 'twice', 8);
        records[6] = record(kind, { id: idsOf(kind, 'twice', 2)[0] });
        assertRefused(await post(api, kind, 'tnt_twice', records), 400, 'record 6', 'record 2', 'twice_2');
        assert.deepEqual(await storedIds(api, kind, 'tnt_twice'), [], kind);
      }
    });
  });

  describe('all-or-nothing: one invalid record rejects the whole batch', () => {
    const comm = (extra: Row) => record('communication-logs', extra);
    const mfa = (extra: Row) => record('mfa-config-audit-logs', extra);
    const op = (extra: Row) => record('operate-logs', extra);
    const cases: [Kind, string, Row, string][] = [
      ['communication-logs', 'channel fax', comm({ channel: 'fax' }), 'channel'],
      ['communication-logs', 'missing user_id', omit(comm({}), 'user_id'), 'user_id'],
      ['communication-logs', 'an unknown field', comm({ colour: 'red' }), 'colour'],
      ['communication-logs', 'created_at yesterday', comm({ created_at: 'yesterday' }), 'created_at'],
      ['communication-logs', 'created_at Feb 30', comm({ created_at: '2026-02-30T00:00:00Z' }), 'created_at'],
      ['communication-logs', 'sent_at without offset', comm({ sent_at: '2026-04-15T10:00:00' }), 'sent_at'],
      ['communication-logs', 'updated_at Apr 31', comm({ updated_at: '2026-04-31T10:00:00Z' }), 'updated_at'],
      ['communication-logs', 'status lost', comm({ status: 'lost' }), 'status'],
      ['communication-logs', 'user_id a number', comm({ user_id: 42 }), 'user_id'],
      ['mfa-config-audit-logs', 'missing action', omit(mfa({}), 'action'), 'action'],
      ['mfa-config-audit-logs', 'timestamp yesterday', mfa({ timestamp: 'yesterday' }), 'timestamp'],
      ['mfa-config-audit-logs', 'timestamp Feb 30', mfa({ timestamp: '2026-02-30T00:00:00Z' }), 'timestamp'],
      ['mfa-config-audit-logs', 'an unknown field', mfa({ severity: 'high' }), 'severity'],
      ['operate-logs', 'record_time 1.5', op({ record_time: 1.5 }), 'record_time'],
      ['operate-logs', 'record_time negative', op({ record_time: -1 }), 'record_time'],
      ['operate-logs', 'record_time a word', op({ record_time: 'soon' }), 'record_time'],
      ['operate-logs', 'record_time true', op({ record_time: true }), 'record_time'],
      ['operate-logs', 'record_time null', op({ record_time: null }), 'record_time'],
      ['operate-logs', 'missing operate_type', omit(op({}), 'operate_type'), 'operate_type'],
    ];

    cases.forEach(([kind, label, bad, field], caseIndex) => {
      test(`${kind}: record 7 with ${label} → 400 naming record 7 and ${field}, nothing stored`, async () => {
        const tenant = `tnt_aon${caseIndex}`;
        const records = batch(kind, 'aon', 10);
        records[7] = { ...bad, id: idsOf(kind, 'aon', 7)[0] };
        assertRefused(await post(api, kind, tenant, records), 400, 'record 7', field);
        assert.deepEqual(await storedIds(api, kind, tenant), []);
        records[7] = record(kind, { id: idsOf(kind, 'aon', 7)[0] });
        assertAck(await post(api, kind, tenant, records), idsOf(kind, 'aon', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
      });
    });
  });

  describe('times and defaults', () => {
    test('communication log: missing times are the server clock, other fields get their defaults', async () => {
      const fromMs = Date.now();
      await api.ingest('communication-logs', 'tnt_t', [record('communication-logs', { user_id: 'usr_d' })]);
      const untilMs = Date.now();
      const [log] = await storedRows(api, 'communication-logs', 'tnt_t', '&user_id=usr_d');
      assert.ok(log);
      assertWithin(log.created_at, fromMs, untilMs);
      assert.equal(log.updated_at, log.created_at);
      assert.deepEqual(
        ['status', 'content', 'provider', 'template_id', 'error', 'response', 'sent_at'].map(
          (field) => log[field],
        ),
        ['pending', '', '', '', null, null, ''],
      );
    });

    test('communication log: given times are kept and read back as RFC 3339 UTC', async () => {
      await api.ingest('communication-logs', 'tnt_t', [
        record('communication-logs', {
          user_id: 'usr_times',
          status: 'sent',
          created_at: '2026-04-15T18:00:00+08:00',
          updated_at: '2026-04-15T10:05:00.500Z',
          sent_at: '2026-04-15T08:01:00-02:00',
        }),
      ]);
      const [log] = await storedRows(api, 'communication-logs', 'tnt_t', '&user_id=usr_times');
      assert.deepEqual(
        [log?.status, log?.created_at, log?.updated_at, log?.sent_at],
        ['sent', '2026-04-15T10:00:00Z', '2026-04-15T10:05:00.5Z', '2026-04-15T10:01:00Z'],
      );
    });

    test('MFA audit log: timestamp defaults to now, a given one is kept in UTC; text fields default to ""', async () => {
      const fromMs = Date.now();
      await api.ingest('mfa-config-audit-logs', 'tnt_t', [
        record('mfa-config-audit-logs', { id: 'mfa_now' }),
        record('mfa-config-audit-logs', { id: 'mfa_given', timestamp: '2026-05-15T18:00:00+08:00' }),
      ]);
      const untilMs = Date.now();
      const rows = await storedRows(api, 'mfa-config-audit-logs', 'tnt_t');
      const now = rows.find((row) => row.id === 'mfa_now');
      assertWithin(now?.timestamp, fromMs, untilMs);
      assert.deepEqual([now?.target_id, now?.module, now?.message], ['', '', '']);
      assert.equal(rows.find((row) => row.id === 'mfa_given')?.timestamp, '2026-05-15T10:00:00Z');
    });

    test('operate log: record_time defaults to now, a given one is kept; text fields default to ""', async () => {
      const fromMs = Date.now();
      await api.ingest('operate-logs', 'tnt_t', [
        record('operate-logs', { id: 'op_now' }),
        record('operate-logs', { id: 'op_given', record_time: 1776247200000, username: 'alice' }),
      ]);
      const untilMs = Date.now();
      const [given, now] = await storedRows(api, 'operate-logs', 'tnt_t');
      assert.ok(given && now);
      assert.deepEqual([given.record_time, given.username], [1776247200000, 'alice']);
      const recordTime = Number(now.record_time);
      assert.ok(recordTime >= fromMs && recordTime <= untilMs, `record_time ${recordTime} is now`);
      for (const field of ['uid', 'username', 'operate_content', 'user_id', 'ext', 'project_code']) {
        assert.equal(now[field], '', field);
      }
    });
  });

  describe('tenancy', () => {
    test("a tenant writer's records land in its tenant, with or without tenant_id", async () => {
      for (const kind of KIND_NAMES) {
        const records = batch(kind, 'own', 2);
        records[1] = { ...records[1], tenant_id: 'tnt_a' };
        assertAck(await post(api, kind, 'tnt_a', records), idsOf(kind, 'own', 0, 1));
        assert.deepEqual(await storedIds(api, kind, 'tnt_a'), idsOf(kind, 'own', 0, 1));
        assert.deepEqual(await storedIds(api, kind, 'tnt_b'), [], kind);
      }
    });

    test('a tenant writer naming another tenant is 403; nothing of the batch is stored', async () => {
      for (const kind of KIND_NAMES) {
        const records = batch(kind, 'cross', 10);
        records[7] = { ...records[7], tenant_id: 'tnt_d' };
        assertRefused(await post(api, kind, 'tnt_c', records), 403, 'tnt_d');
        assert.deepEqual(await storedIds(api, kind, 'tnt_c'), [], kind);
        assert.deepEqual(await storedIds(api, kind, 'tnt_d'), [], kind);
      }
    });

    test('a token without the audit:write role cannot ingest', async () => {
      const token = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_h', roles: ['admin'] });
      const body = batch('communication-logs', 'noauth', 1);
      assertRefused(
        await api.request('POST', '/v1/ingest/communication-logs', { token, body }),
        403,
        'audit:write',
      );
      assert.deepEqual(await storedIds(api, 'communication-logs', 'tnt_h'), []);
    });

    test('a platform writer must name tenant_id on every record (400 naming the record)', async () => {
      for (const kind of KIND_NAMES) {
        const records = batch(kind, 'plat', 4).map((row): Row => ({ ...row, tenant_id: 'tnt_e' }));
        records[2] = omit(records[2] ?? {}, 'tenant_id');
        assertRefused(await post(api, kind, undefined, records), 400, 'record 2', 'tenant_id');
        assert.deepEqual(await storedIds(api, kind, 'tnt_e'), [], kind);
      }
    });

    test("a platform writer's records land in the tenants they name", async () => {
      for (const kind of KIND_NAMES) {
        const tenants = ['tnt_f', 'tnt_g', 'tnt_f'];
        const records = batch(kind, 'multi', 3).map((row, index) => ({ ...row, tenant_id: tenants[index] }));
        assertAck(await post(api, kind, undefined, records), idsOf(kind, 'multi', 0, 1, 2));
        assert.deepEqual(await storedIds(api, kind, 'tnt_f'), idsOf(kind, 'multi', 0, 2));
        assert.deepEqual(await storedIds(api, kind, 'tnt_g'), idsOf(kind, 'multi', 1));
      }
    });
  });

  describe('batch shape and size', () => {
    test('a body that is not an array, or an empty batch, is 400 with a clear message', async () => {
      for (const body of [record('communication-logs'), 'records', 42, null]) {
        assertRefused(await post(api, 'communication-logs', 'tnt_s', body), 400, 'JSON array');
      }
      assertRefused(await post(api, 'communication-logs', 'tnt_s', []), 400, 'empty');
      assertRefused(await post(api, 'operate-logs', 'tnt_s', '\n  \n', true), 400, 'empty');
      assert.deepEqual(await storedIds(api, 'communication-logs', 'tnt_s'), []);
    });

    test('more than 10,000 records is 400; exactly 10,000 is accepted', async () => {
      const records = Array.from({ length: 10_001 }, () => ({ operate_type: 'x' }));
      assertRefused(await post(api, 'operate-logs', 'tnt_s', records), 400, 'at most 10000 records');
      assert.deepEqual(await storedIds(api, 'operate-logs', 'tnt_s'), []);
      const accepted = await post(api, 'operate-logs', 'tnt_s', records.slice(1));
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.inserted, 10_000);
    });
  });
});

describe('BODY_LIMIT', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ BODY_LIMIT: '4096' });
  });
  after(() => api.close());

  test('a body over the limit is 413 with the AuthMS error body; nothing is stored', async () => {
    const records = batch('communication-logs', 'big', 100);
    assert.ok(JSON.stringify(records).length > 4096);
    assertRefused(await post(api, 'communication-logs', 'tnt_s', records), 413, 'BODY_LIMIT');
    const ndjson = records.map((row) => JSON.stringify(row)).join('\n');
    assertRefused(await post(api, 'communication-logs', 'tnt_s', ndjson, true), 413, 'BODY_LIMIT');
    assert.deepEqual(await storedIds(api, 'communication-logs', 'tnt_s'), []);
    const small = records.slice(0, 2);
    assertAck(
      await post(api, 'communication-logs', 'tnt_s', small),
      idsOf('communication-logs', 'big', 0, 1),
    );
  });
});

describe('durability', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer();
  });
  after(() => api.close());

  test('acknowledged rows are in the database once the server has stopped', async () => {
    for (const kind of KIND_NAMES) await api.ingest(kind, 'tnt_dur', batch(kind, 'dur', 5));
    await api.stop();
    const store = await api.reopenStore();
    try {
      const tenantId = 'tnt_dur';
      const window = { limit: 100, offset: 0 };
      const stored = {
        'communication-logs': (await store.communicationLogs.list({ tenantId }, window)).rows,
        'mfa-config-audit-logs': (await store.mfaConfigAuditLogs.list({ tenantId }, window)).rows,
        'operate-logs': await store.operateLogs.page({ tenantId }, undefined, 100),
      };
      for (const kind of KIND_NAMES) {
        assert.deepEqual(stored[kind].map((row) => row.id).sort(), idsOf(kind, 'dur', 0, 1, 2, 3, 4), kind);
      }
    } finally {
      await store.close();
    }
  });
});
