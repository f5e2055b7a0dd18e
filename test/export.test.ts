/**
 * GET /v1/export/{kind}: NDJSON and CSV hold exactly GET /v1/logs' items (the CSV parsed back by
 * an RFC 4180 reader of its own), across several of the export's keyset pages; formula cells are
 * escaped; the download is an attachment; filters, scope and erasure apply as on the APIs; the
 * export is in the access log with the rows it sent; a client leaving mid-export stops it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const T0 = Date.UTC(2026, 0, 1);
/** More rows than two of the export's pages (2,000 rows each). */
const MANY = 4321;
const ERASED = '[erased]';
/** Rows of about 900 bytes: some 36 MB of NDJSON. */
const BIG = 40_000;

type Item = Record<string, unknown>;

/** RFC 4180: records end in CRLF; quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') {
      assert.equal(field, '', 'a quote only opens a field');
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      assert.ok(char !== '\r' && char !== '\n', `a bare line break outside quotes at ${i}`);
      field += char;
    }
  }
  assert.equal(quoted, false, 'the last quote is closed');
  assert.deepEqual(record, [], 'the last record ends in CRLF');
  assert.equal(field, '');
  return records;
}

/** What a CSV cell of `value` must read, formula escaping included. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return typeof value === 'string' && /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text;
}

function commLog(i: number, tenant = 'a') {
  const formula = ['=HYPERLINK("http://x.example","click")', '+1+2', '-3', '@SUM(A1)', '\tcmd', 'plain'][
    i % 6
  ];
  return {
    id: `log_${tenant}_${String(i).padStart(5, '0')}`,
    user_id: i % 100 === 0 ? 'usr_alice' : `usr_${i % 7}`,
    channel: ['sms', 'email', 'push'][i % 3],
    status: ['pending', 'sent', 'delivered', 'failed'][i % 4],
    recipient: i % 2 === 0 ? '13800138000' : `user${i}@example.com`,
    content: i % 10 === 0 ? `line one, "quoted"\r\nline two 中文 ${i}` : `${formula} ${i}`,
    provider: 'aliyun',
    error: i % 4 === 3 ? 'timeout, retry' : null,
    created_at: new Date(T0 + Math.floor(i / 3) * 1000).toISOString(),
  };
}

describe(`GET /v1/export/{kind} (${TEST_STORE})`, () => {
  let api: TestServer;
  let admin: string;
  let platform: string;

  async function exportOf(kind: string, query: string, token = admin) {
    const response = await fetch(`${api.url}/v1/export/${kind}?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { response, text: await response.text() };
  }

  /** Every item of GET /v1/logs/{kind} with `query`, newest first. */
  async function logs(kind: string, query: string, token = admin): Promise<Item[]> {
    const items: Item[] = [];
    let cursor = '';
    for (;;) {
      const { status, body } = await api.request('GET', `/v1/logs/${kind}?limit=100&${query}${cursor}`, {
        token,
      });
      assert.equal(status, 200, JSON.stringify(body));
      const data = body.data as { items: Item[]; has_more: boolean; last_row_key: string };
      items.push(...data.items);
      if (!data.has_more) return items;
      cursor = `&after=${data.last_row_key}`;
    }
  }

  const ndjson = (text: string) =>
    text
      .split('\n')
      .filter((line, index, lines) => line !== '' || index !== lines.length - 1)
      .map((line) => JSON.parse(line) as Item);

  before(async () => {
    api = await startTestServer();
    admin = await api.token({ sub: 'usr_exporter', tenant_id: 'tnt_a', roles: ['admin'] });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    const rows = Array.from({ length: MANY }, (_, i) => commLog(i));
    for (let start = 0; start < rows.length; start += 2000) {
      await api.ingest('communication-logs', 'tnt_a', rows.slice(start, start + 2000));
    }
    await api.ingest('communication-logs', 'tnt_b', [commLog(1, 'b'), commLog(2, 'b')]);
    await api.ingest('operate-logs', 'tnt_a', [
      {
        id: 'op_1',
        record_time: T0,
        operate_type: 'login',
        operate_content: '用户登录了系统',
        user_id: 'usr_alice',
      },
      {
        id: 'op_2',
        record_time: T0 + 1,
        operate_type: 'login',
        operate_content: '=cmd|"/c calc"!A1',
        user_id: 'u2',
      },
      { id: 'op_3', record_time: T0 + 2, operate_type: 'logout', operate_content: 'Log out of System 2' },
    ]);
  });
  after(() => api.close());

  test('NDJSON holds every matching record once: exactly GET /v1/logs’ items, in order', async () => {
    const { response, text } = await exportOf('communication-log', 'format=ndjson');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
    assert.match(
      String(response.headers.get('content-disposition')),
      /^attachment; filename="sealog-communication-log-tnt_a-\d{8}T\d{6}\.ndjson"$/,
    );
    assert.ok(text.endsWith('\n'));
    const items = ndjson(text);
    assert.equal(items.length, MANY);
    assert.equal(new Set(items.map((item) => item.id)).size, MANY);
    const listed = await logs('communication-log', '');
    assert.deepEqual(items, listed);
    assert.deepEqual(Object.keys(items[0] ?? {}), Object.keys(listed[0] ?? {}), 'fields in the API’s order');
    assert.match(String(items.find((item) => item.id === 'log_a_00000')?.recipient), /^138\*{4}8000$/);
  });

  test('CSV: RFC 4180 with a header row, the same items, formula cells escaped', async () => {
    const { response, text } = await exportOf('communication-log', 'format=csv');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(
      String(response.headers.get('content-disposition')),
      /^attachment; filename="sealog-communication-log-tnt_a-\d{8}T\d{6}\.csv"$/,
    );
    const [header, ...records] = parseCsv(text);
    const listed = await logs('communication-log', '');
    const fields = Object.keys(listed[0] ?? {});
    assert.deepEqual(header, fields);
    assert.equal(records.length, MANY);
    assert.deepEqual(
      records,
      listed.map((item) => fields.map((field) => cell(item[field]))),
    );
    const byId = new Map(records.map((record) => [record[0], record]));
    const content = fields.indexOf('content');
    assert.equal(byId.get('log_a_00001')?.[content], `'+1+2 1`);
    assert.equal(byId.get('log_a_00002')?.[content], `'-3 2`);
    assert.equal(byId.get('log_a_00003')?.[content], `'@SUM(A1) 3`);
    assert.equal(byId.get('log_a_00004')?.[content], `'\tcmd 4`);
    assert.equal(byId.get('log_a_00006')?.[content], `'=HYPERLINK("http://x.example","click") 6`);
    assert.equal(byId.get('log_a_00010')?.[content], `line one, "quoted"\r\nline two 中文 10`);
  });

  test('filters, time range and scope apply as on GET /v1/logs', async () => {
    const from = new Date(T0 + 100_000).toISOString();
    const until = new Date(T0 + 200_000).toISOString();
    const query = `channel=email&status=sent&from=${from}&until=${until}`;
    const items = ndjson((await exportOf('communication-log', query)).text);
    assert.ok(items.length > 0);
    assert.deepEqual(items, await logs('communication-log', query));
    const words = ndjson((await exportOf('operate-log', 'key_words=登录')).text);
    assert.deepEqual(
      words.map((item) => item.id),
      ['op_1'],
    );
    const [header = [], ...operate] = parseCsv((await exportOf('operate-log', 'format=csv')).text);
    assert.deepEqual(header.slice(0, 2), ['id', 'record_time']);
    assert.equal(header.at(-1), 'tenant_id');
    assert.deepEqual(
      operate.map((record) => record[header.indexOf('operate_content')]),
      ['Log out of System 2', `'=cmd|"/c calc"!A1`, '用户登录了系统'],
    );
    const other = await exportOf('communication-log', 'tenant_id=tnt_b');
    assert.equal(other.response.status, 403);
    assert.equal((JSON.parse(other.text) as Item).code, 403);
    const onlyB = await exportOf('communication-log', 'tenant_id=tnt_b', platform);
    assert.match(
      String(onlyB.response.headers.get('content-disposition')),
      /sealog-communication-log-tnt_b-/,
    );
    assert.deepEqual(
      ndjson(onlyB.text).map((item) => item.id),
      ['log_b_00002', 'log_b_00001'],
    );
    const every = await exportOf('operate-log', '', platform);
    assert.match(String(every.response.headers.get('content-disposition')), /sealog-operate-log-all-/);
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    assert.equal((await exportOf('communication-log', '', user)).response.status, 403);
    const empty = await exportOf('mfa-config-audit-log', 'format=csv');
    assert.equal(
      empty.text,
      'id,tenant_id,action,target_type,target_id,operator_id,module,message,timestamp\r\n',
    );
    assert.equal((await exportOf('mfa-config-audit-log', '')).text, '');
  });

  test('HEAD answers the headers and reads no row', async () => {
    const header = await api.token({ sub: 'usr_head', tenant_id: 'tnt_a', roles: ['admin'] });
    const response = await fetch(`${api.url}/v1/export/communication-log?format=csv`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${header}` },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(
      String(response.headers.get('content-disposition')),
      /^attachment; filename="sealog-communication-log-tnt_a-/,
    );
    let entries: Item[] = [];
    await waitFor('the HEAD in the access log', async () => {
      const { body } = await api.request('GET', '/admin/access-logs?actor=usr_head', { token: admin });
      entries = body.items as Item[];
      return entries.length > 0;
    });
    const entry = entries.at(0);
    assert.ok(entry);
    assert.equal(entry.method, 'HEAD');
    assert.equal(entry.row_count, 0);
  });

  test('bad input is a 400 in the AuthMS shape', async () => {
    for (const query of [
      'format=xlsx',
      'limit=5',
      'from=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
      'bogus=1',
    ]) {
      const { response, text } = await exportOf('communication-log', query);
      assert.equal(response.status, 400, query);
      const body = JSON.parse(text) as Item;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp']);
    }
  });

  test('the export is in the access log, with the rows it sent', async () => {
    const exporter = await api.token({ sub: 'usr_export_audit', tenant_id: 'tnt_a', roles: ['admin'] });
    const { text } = await exportOf('communication-log', 'format=csv&channel=sms', exporter);
    const rows = parseCsv(text).length - 1;
    assert.ok(rows > 1000);
    let entries: Item[] = [];
    await waitFor('the export in the access log', async () => {
      const { body } = await api.request('GET', '/admin/access-logs?actor=usr_export_audit', {
        token: admin,
      });
      entries = body.items as Item[];
      return entries.length > 0;
    });
    const entry = entries.at(0);
    assert.ok(entry);
    assert.equal(entry.route, '/v1/export/communication-log');
    assert.equal(entry.row_count, rows);
    assert.equal(entry.status, 200);
    assert.deepEqual(entry.query, { format: 'csv', channel: 'sms' });
  });

  test('a client that leaves mid-export stops it: the access log counts what was sent, not every row', async () => {
    // Far more than the socket buffers between server and client hold, so that the server is
    // still writing when the client leaves.
    const big = Array.from({ length: BIG }, (_, i) => ({ ...commLog(i, 'big'), content: 'x'.repeat(500) }));
    for (let start = 0; start < big.length; start += 10_000) {
      await api.ingest('communication-logs', 'tnt_big', big.slice(start, start + 10_000));
    }
    const leaver = await api.token({ sub: 'usr_leaver', tenant_id: 'tnt_big', roles: ['admin'] });
    const controller = new AbortController();
    const response = await fetch(`${api.url}/v1/export/communication-log`, {
      headers: { authorization: `Bearer ${leaver}` },
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    assert.ok(reader);
    assert.equal((await reader.read()).done, false);
    controller.abort();
    await reader.read().catch(() => undefined);
    let entries: Item[] = [];
    await waitFor('the cut export in the access log', async () => {
      const { body } = await api.request('GET', '/admin/access-logs?actor=usr_leaver', { token: platform });
      entries = body.items as Item[];
      return entries.length > 0;
    });
    const entry = entries.at(0);
    assert.ok(entry);
    assert.ok(Number(entry.row_count) < BIG, JSON.stringify(entry));
    const { status } = await api.request('GET', '/v1/logs/communication-log?limit=1', { token: admin });
    assert.equal(status, 200, 'the server serves on');
  });

  test('an erased subject’s personal fields read [erased] in the export, as on the APIs', async () => {
    const erasure = await api.request('DELETE', '/v1/subjects/usr_alice', { token: admin });
    assert.equal(erasure.status, 200, JSON.stringify(erasure.body));
    const items = ndjson((await exportOf('communication-log', 'user_id=usr_alice')).text);
    assert.equal(items.length, Math.ceil(MANY / 100));
    for (const item of items) {
      assert.equal(item.recipient, ERASED);
      assert.equal(item.content, ERASED);
    }
    assert.deepEqual(items, await logs('communication-log', 'user_id=usr_alice'));
    const [header = [], ...records] = parseCsv((await exportOf('operate-log', 'format=csv')).text);
    const erased = records.find((record) => record[0] === 'op_1');
    assert.ok(erased);
    assert.equal(erased[header.indexOf('operate_content')], ERASED);
    assert.equal(erased[header.indexOf('username')], ERASED);
  });
});
