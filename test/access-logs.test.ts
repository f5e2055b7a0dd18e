import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { send, signedRequest, type Strings } from './helpers/tuya-signing.js';
import { waitFor } from './helpers/wait-for.js';

const ACCESS_LOGS = '/admin/access-logs';
const ADMIN_LIST = '/admin/communication/logs';
const OWN_LIST = '/communication/logs';
const HISTORY = '/admin/communication/logs/:id/transitions';
const MFA = '/admin/mfa/config-audit-logs';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';
const REFRESH = '/v1.0/token/:refresh_token';
const FIELDS = 'accessed_at actor api duration_ms error id ip method query route row_count status tenant_id';

const client = (n: number) => ({ clientId: `sealogclient000${n}`, secret: `secret-${n}-0123456789ab` });
type Client = ReturnType<typeof client>;
// A, C and D are projects of tnt_a, B of tnt_b; C and D serve one test each.
const [CLIENT_A, CLIENT_B, CLIENT_C, CLIENT_D] = [client(1), client(2), client(3), client(4)];
const TUYA_CLIENTS = [CLIENT_A, CLIENT_B, CLIENT_C, CLIENT_D]
  .map(({ clientId, secret }, i) => `${clientId}:${secret}:${i === 1 ? 'tnt_b' : 'tnt_a'}`)
  .join(',');

type Text = 'id' | 'tenant_id' | 'actor' | 'api' | 'route' | 'error' | 'ip' | 'accessed_at';
type Entry = Record<Text, string> &
  Record<'row_count' | 'status' | 'duration_ms', number> & { query: Record<string, unknown> };
type Query = Record<string, string | number>;
type Listing = { items: Entry[]; has_more: boolean; last_row_key: string };
type Reply = { status: number; body: Record<string, unknown> };

/** Checks the fields that vary from run to run, then compares the rest with `expected` over defaults. */
function assertEntry(entry: Entry | undefined, expected: Partial<Entry>) {
  assert.ok(entry);
  const { id, ip, duration_ms, accessed_at, ...rest } = entry;
  assert.deepEqual(Object.keys(entry).sort(), FIELDS.split(' '));
  assert.match(id, /^acc_/);
  assert.ok(ip !== '' && Number.isInteger(duration_ms) && duration_ms >= 0, JSON.stringify(entry));
  assert.match(accessed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const defaults = { api: 'authms', method: 'GET', query: {}, row_count: 0, status: 200, error: '' };
  assert.deepEqual(rest, { ...defaults, ...expected });
}
function assertAuthmsError(response: Reply, status: number) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
  assert.equal(response.body.code, status);
}
const at = (entry: Entry) => Date.parse(entry.accessed_at);
const iso = (ms: number) => new Date(ms).toISOString();
const distinct = (items: Entry[], field: 'tenant_id' | 'actor') =>
  [...new Set(items.map((e) => e[field]))].sort();
const queryString = (query: Query) =>
  new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
const rowsOf = (reply: Reply) => (reply.body.items as unknown[]).length;

function commLog(id: string, user_id: string, channel: string, status = 'delivered') {
  const rest = { recipient: 'x@example.com', provider: 'aliyun', template_id: 'tpl_1', content: 'code 1234' };
  return { id, user_id, channel, status, created_at: '2026-04-15T10:00:00Z', ...rest };
}
function operateLog(id: string, record_time: number) {
  const who = { uid: 'u1', username: 'alice', user_id: 'usr_1', role: 'admin', account: 'a@example.com' };
  const where = { operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1', client_id: 'app1', ext: '{}' };
  const what = { operate_type: 'login', operate_content: `content of ${id}`, merchant_code: 'm1' };
  return { id, record_time, ...who, ...where, ...what, project_code: 'p1' };
}

describe('the access log (GET /admin/access-logs)', () => {
  let api: TestServer;
  let auditor: string; // a platform admin: every poll of this file, recorded under its own sub
  const token = (sub: string, tenant?: string, roles = ['admin']) =>
    api.token({ sub, roles, ...(tenant === undefined ? {} : { tenant_id: tenant }) });
  const get = (path: string, as: string | undefined) => api.request('GET', path, { token: as });
  const accessLogs = (query: Query, as = auditor) => get(`${ACCESS_LOGS}?${queryString(query)}`, as);
  async function list(query: Query, as = auditor): Promise<Listing> {
    const { status, body } = await accessLogs(query, as);
    assert.equal(status, 200, JSON.stringify(body));
    return body as unknown as Listing;
  }
  /** Waits until `count` entries match `query` (they are written in batches after the read). */
  async function recorded(query: Query, count: number): Promise<Entry[]> {
    let items: Entry[] = [];
    const enough = async () => (items = (await list({ ...query, size: 100 })).items).length >= count;
    await waitFor(`${count} entries of ${JSON.stringify(query)}`, enough, { intervalMs: 100 });
    assert.equal(items.length, count, JSON.stringify(items));
    return items;
  }
  async function one(query: Query): Promise<Entry> {
    const [entry] = await recorded(query, 1);
    assert.ok(entry);
    return entry;
  }
  const tuyaToken = async (as: Client, grant_type = '1') => {
    const { body } = await send(api.url, signedRequest('/v1.0/token', { ...as, query: { grant_type } }));
    return body as { code?: number; msg?: string; result: Record<'access_token' | 'refresh_token', string> };
  };
  const tuyaPage = (as: Client, accessToken: string | undefined, query: Strings) =>
    send(api.url, signedRequest(OPERATE_LOGS, { ...as, accessToken, query }));

  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS });
    auditor = await token('usr_auditor');
    const a1 = commLog('log_a1', 'usr_alice', 'sms', 'pending');
    await api.ingest('communication-logs', 'tnt_a', [a1, commLog('log_a2', 'usr_alice', 'email')]);
    await api.ingest('communication-logs', 'tnt_a', [commLog('log_a3', 'usr_bob', 'sms')]);
    await api.ingest('communication-logs', 'tnt_b', [commLog('log_b1', 'usr_carol', 'sms')]);
    const writer = await token('svc_writer', 'tnt_a', ['audit:write']);
    for (const body of [{ status: 'sent' }, { status: 'delivered' }]) {
      const receipt = await api.request('PATCH', `/v1/ingest/communication-logs/${a1.id}`, {
        token: writer,
        body,
      });
      assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
    }
    const ops = [1, 2, 3].map((n) => operateLog(`op_a${n}`, 1_767_225_600_000 + n));
    await api.ingest('operate-logs', 'tnt_a', ops);
    await api.ingest('operate-logs', 'tnt_b', [operateLog('op_b1', 1_767_225_600_000)]);
  });
  after(() => api.close());

  test('an admin list read is recorded with its route pattern, validated query and row_count', async () => {
    const admin = await token('usr_admin_a', 'tnt_a');
    const startedMs = Date.now();
    const read = await get(`${ADMIN_LIST}?channel=sms&page_size=5`, admin);
    assert.equal(rowsOf(read), 2, JSON.stringify(read.body));
    assert.equal(rowsOf(await get(`${ADMIN_LIST}/log_a1/transitions`, admin)), 2);

    const entry = await one({ actor: 'usr_admin_a', route: ADMIN_LIST });
    const query = { channel: 'sms', page: 1, page_size: 5 };
    assertEntry(entry, { tenant_id: 'tnt_a', actor: 'usr_admin_a', route: ADMIN_LIST, query, row_count: 2 });
    assert.ok(at(entry) >= startedMs && at(entry) <= Date.now(), entry.accessed_at);
    const history = await one({ actor: 'usr_admin_a', route: HISTORY });
    assertEntry(history, { tenant_id: 'tnt_a', actor: 'usr_admin_a', route: HISTORY, row_count: 2 });
    assert.ok(!JSON.stringify(history).includes('log_a1'), 'the path value is not recorded');
  });

  test("a user's read of its own logs is recorded under its sub and tenant", async () => {
    assert.equal(rowsOf(await get(OWN_LIST, await token('usr_alice', 'tnt_a', []))), 2);
    const entry = await one({ actor: 'usr_alice' });
    const query = { page: 1, page_size: 20 };
    assertEntry(entry, { tenant_id: 'tnt_a', actor: 'usr_alice', route: OWN_LIST, query, row_count: 2 });
  });

  test('a refused read of an authenticated caller is recorded with its status and error', async () => {
    const bob = await token('usr_bob', 'tnt_a', []);
    const others = await get(`${OWN_LIST}?user_id=usr_alice`, bob);
    assertAuthmsError(others, 403);
    const notAdmin = await get(ACCESS_LOGS, bob);
    assertAuthmsError(notAdmin, 403);
    assertAuthmsError(await get(ACCESS_LOGS, await token('svc_reader', 'tnt_a', ['audit:write'])), 403);

    const own = await one({ actor: 'usr_bob', route: OWN_LIST });
    const query = { user_id: 'usr_alice', page: 1, page_size: 20 };
    const bobs = { tenant_id: 'tnt_a', actor: 'usr_bob', status: 403 };
    assertEntry(own, { ...bobs, route: OWN_LIST, query, error: String(others.body.message) });
    const denied = await one({ actor: 'usr_bob', route: ACCESS_LOGS });
    const error = String(notAdmin.body.message);
    assertEntry(denied, { ...bobs, route: ACCESS_LOGS, query: { size: 20 }, error });
    const writer = await one({ actor: 'svc_reader' });
    assert.deepEqual([writer.status, writer.route, writer.tenant_id], [403, ACCESS_LOGS, 'tnt_a']);

    // A caller without a tenant that is no platform admin cannot file its read into a tenant.
    const drifter = await token('usr_drifter', undefined, []);
    assertAuthmsError(await get(`${ACCESS_LOGS}?tenant_id=tnt_a`, drifter), 403);
    const drifted = await one({ actor: 'usr_drifter' });
    assert.deepEqual([drifted.status, drifted.tenant_id], [403, '']);
  });

  test('requests failing verification are not recorded, nor are writes', async () => {
    const claims = { sub: 'usr_forged', tenant_id: 'tnt_a', roles: ['admin'] };
    const forged = await api.token(claims, 'another-secret-of-at-least-thirty-two-bytes');
    const expired = await api.token({ ...claims, expiresIn: -600 });
    for (const bad of [undefined, forged, expired, 'not-a-jwt']) assertAuthmsError(await get(MFA, bad), 401);
    const wrongSecret = { ...CLIENT_C, secret: 'secret-3-not-the-right-one' };
    assert.equal((await tuyaToken(wrongSecret)).code, 1004);
    const { access_token } = (await tuyaToken(CLIENT_C)).result;
    assert.equal((await tuyaPage(wrongSecret, access_token, { size: '1' })).body.code, 1004);
    assert.equal((await tuyaPage(CLIENT_C, 'not-a-token', { size: '1' })).body.code, 1011);
    assert.equal((await tuyaPage(CLIENT_C, undefined, { size: '1' })).body.code, 1002);

    // Records are written in order: once this read is stored, every earlier one is.
    assert.equal((await get(MFA, await token('usr_marker', 'tnt_a'))).status, 200);
    const marker = await one({ route: MFA });
    assert.equal(marker.actor, 'usr_marker');
    const issued = await one({ actor: CLIENT_C.clientId });
    assert.equal(issued.route, '/v1.0/token');
    assert.deepEqual((await list({ actor: 'usr_forged' })).items, []);
    assert.deepEqual((await list({ actor: 'svc_writer' })).items, [], 'POST and PATCH are not reads');
  });

  test('a signed Tuya operate-logs read is recorded under the client_id and the project tenant', async () => {
    const { access_token } = (await tuyaToken(CLIENT_A)).result;
    const read = await tuyaPage(CLIENT_A, access_token, { size: '2', operate_type: 'login' });
    assert.equal((read.body.result as { list: unknown[] }).list.length, 2, JSON.stringify(read.body));

    const tuya = { tenant_id: 'tnt_a', actor: CLIENT_A.clientId, api: 'tuya' };
    const entry = await one({ actor: CLIENT_A.clientId, route: OPERATE_LOGS });
    const query = { size: 2, operate_type: 'login' };
    assertEntry(entry, { ...tuya, route: OPERATE_LOGS, query, row_count: 2 });
    assert.ok(!JSON.stringify(entry).includes(access_token));
    const issued = await one({ actor: CLIENT_A.clientId, route: '/v1.0/token' });
    assertEntry(issued, { ...tuya, route: '/v1.0/token', query: { grant_type: '1' } });
  });

  test('a token refresh is recorded by its route pattern, the refresh token nowhere', async () => {
    const first = (await tuyaToken(CLIENT_A)).result;
    const refreshed = await send(api.url, signedRequest(`/v1.0/token/${first.refresh_token}`, CLIENT_A));
    assert.equal(refreshed.body.success, true, JSON.stringify(refreshed.body));
    const spent = await send(api.url, signedRequest(`/v1.0/token/${first.refresh_token}`, CLIENT_A));
    assert.equal(spent.body.code, 1011);

    const entries = await recorded({ route: REFRESH }, 2);
    const [ok, refused] = entries.sort((a, b) => a.error.localeCompare(b.error));
    const tuya = { tenant_id: 'tnt_a', actor: CLIENT_A.clientId, api: 'tuya', route: REFRESH };
    assertEntry(ok, tuya);
    assertEntry(refused, { ...tuya, error: String(spent.body.msg) });
    const json = JSON.stringify(entries);
    const second = refreshed.body.result as typeof first;
    for (const secret of [first.refresh_token, first.access_token, second.refresh_token, second.access_token])
      assert.ok(!json.includes(secret), `${secret} is in ${json}`);
  });

  test('query parameters named like *token, *secret, *sign, *password are not recorded', async () => {
    const secrets = { access_token: 's1', client_secret: 's2', sign: 's3', password: 's4' };
    const unseparated = { refreshToken: 's5', apitoken: 's6', userPassword: 's7' };
    const query = new URLSearchParams({ channel: 'sms', ...secrets, ...unseparated });
    const secretive = await token('usr_secretive', 'tnt_a');
    assert.equal((await get(`${ADMIN_LIST}?${query.toString()}`, secretive)).status, 200);
    const entry = await one({ actor: 'usr_secretive' });
    assert.deepEqual(entry.query, { channel: 'sms', page: 1, page_size: 20 });
  });

  test('the error recorded is the message the caller was answered with', async () => {
    const grant = await tuyaToken(CLIENT_D, '2');
    assert.equal(grant.code, 1003);
    const { access_token } = (await tuyaToken(CLIENT_D)).result;
    const tooBig = await tuyaPage(CLIENT_D, access_token, { size: '1000' });
    assert.equal(tooBig.body.code, 1109);
    const invalid = await get(`${ADMIN_LIST}?page_size=1000`, await token('usr_mistaken', 'tnt_a'));
    assertAuthmsError(invalid, 400);

    const tuya = await recorded({ actor: CLIENT_D.clientId }, 3);
    const answer = (query: object) => {
      const entry = tuya.find((e) => JSON.stringify(e.query) === JSON.stringify(query));
      return [entry?.status, entry?.error];
    };
    assert.deepEqual(answer({ grant_type: '2' }), [200, grant.msg]);
    const authms = await one({ actor: 'usr_mistaken' });
    assert.deepEqual([authms.status, authms.error], [400, invalid.body.message]);
    assert.deepEqual(answer({ size: 1000 }), [200, tooBig.body.msg]);
  });

  test('a refused read carrying text no store can hold is recorded without it, and holds nothing back', async () => {
    // NUL in tenant_id is refused (400); PostgreSQL could not store it, and a batch holding it
    // would keep every later record out.
    const root = await token('usr_nul');
    assertAuthmsError(await get(`${ACCESS_LOGS}?tenant_id=%00x&actor=a%00b`, root), 400);
    const later = await token('usr_after_nul', 'tnt_a');
    assert.equal((await get(MFA, later)).status, 200);
    assert.equal((await one({ actor: 'usr_after_nul' })).status, 200);
    const refused = await one({ actor: 'usr_nul' });
    assert.deepEqual([refused.status, refused.tenant_id], [400, '']);
    // The parameters as sent: JSON escapes the NUL, which both stores keep as text.
    assert.deepEqual(refused.query, { tenant_id: '\u0000x', actor: 'a\u0000b', size: 20 });
  });

  test('pages newest first with last_row_key: no duplicates, no gaps', async () => {
    const pager = await token('usr_pager', 'tnt_p');
    for (let page = 1; page <= 22; page++)
      assert.equal((await get(`${ADMIN_LIST}?page=${page}`, pager)).status, 200);
    const all = await recorded({ actor: 'usr_pager' }, 22);
    const pages = all.map((entry) => Number(entry.query.page)).sort((a, b) => a - b);
    const everyPage = Array.from({ length: 22 }, (_, i) => i + 1);
    assert.deepEqual(pages, everyPage);
    const keys = all.map((entry) => [at(entry), entry.id] as const);
    const newestFirst = [...keys].sort(([t1, id1], [t2, id2]) => t2 - t1 || (id1 < id2 ? 1 : -1));
    assert.deepEqual(keys, newestFirst, 'newest first by (accessed_at, id)');

    const { status, body } = await accessLogs({ actor: 'usr_pager' });
    assert.equal(status, 200);
    const envelope = ['code', 'has_more', 'items', 'last_row_key', 'message', 'timestamp'];
    assert.deepEqual(Object.keys(body).sort(), envelope);
    const first20 = all.slice(0, 20); // size defaults to 20
    assert.deepEqual([body.code, body.message, body.has_more, body.items], [200, 'ok', true, first20]);

    const walked: Entry[] = [];
    const shapes: [number, boolean][] = [];
    let key = '';
    for (let more = true; more && shapes.length < 10;) {
      const page = await list({ actor: 'usr_pager', size: 5, ...(key === '' ? {} : { last_row_key: key }) });
      walked.push(...page.items);
      shapes.push([page.items.length, page.has_more]);
      [key, more] = [page.last_row_key, page.has_more];
      assert.notEqual(key, '');
    }
    const expectedShapes = [5, 5, 5, 5, 2].map((n, i) => [n, i < 4]);
    assert.deepEqual(shapes, expectedShapes);
    assert.deepEqual(walked, all);
    const end = await list({ actor: 'usr_pager', last_row_key: key });
    assert.deepEqual([end.items, end.has_more, end.last_row_key], [[], false, '']);
    const half = await list({ actor: 'usr_pager', size: 11 });
    const rest = await list({ actor: 'usr_pager', size: 11, last_row_key: half.last_row_key });
    assert.deepEqual([half.has_more, rest.has_more, [...half.items, ...rest.items]], [true, false, all]);
    for (const garbage of ['garbage', Buffer.from('[1,2]').toString('base64url'), 'W10'])
      assertAuthmsError(await accessLogs({ last_row_key: garbage }), 400);
  });

  test('filters: actor and route exactly, start_time inclusive, end_time exclusive', async () => {
    const all = (await list({ actor: 'usr_pager', size: 100 })).items;
    const count = async (query: Query) => (await list({ size: 100, ...query })).items.length;
    assert.equal(await count({ actor: 'usr_pager', route: ADMIN_LIST }), 22);
    const misses: Query[] = [{ actor: 'usr_page' }, { route: '/admin' }, { route: `${ADMIN_LIST}/` }];
    for (const miss of misses) assert.equal(await count(miss), 0, JSON.stringify(miss));
    assert.equal(await count({ actor: 'usr_pager', route: OWN_LIST }), 0);
    assert.deepEqual(distinct((await list({ route: OWN_LIST })).items, 'actor'), ['usr_alice', 'usr_bob']);
    assert.equal(await count({ actor: 'usr_admin_a', route: HISTORY }), 1);

    const middle = all[10];
    assert.ok(middle);
    const t = at(middle);
    const ids = async (query: Query) =>
      (await list({ actor: 'usr_pager', size: 100, ...query })).items.map((e) => e.id);
    const where = (keep: (ms: number) => boolean) => all.filter((e) => keep(at(e))).map((e) => e.id);
    const [since, until, sameMs] = [where((ms) => ms >= t), where((ms) => ms < t), where((ms) => ms === t)];
    assert.ok(sameMs.includes(middle.id) && !until.includes(middle.id));
    assert.deepEqual(await ids({ start_time: middle.accessed_at }), since);
    assert.deepEqual(await ids({ end_time: middle.accessed_at }), until);
    assert.deepEqual(await ids({ start_time: iso(t), end_time: iso(t + 1) }), sameMs);
    const eastern = new Date(t + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
    assert.deepEqual(await ids({ start_time: eastern }), since);
    assert.deepEqual(await ids({ start_time: middle.accessed_at, end_time: middle.accessed_at }), []);

    assertAuthmsError(await accessLogs({ start_time: iso(t + 1), end_time: iso(t) }), 400);
    for (const bad of ['2026-01-01', 'yesterday', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00', String(t)])
      for (const name of ['start_time', 'end_time'])
        assertAuthmsError(await accessLogs({ [name]: bad }), 400);
    for (const size of [0, 101, 'ten']) assertAuthmsError(await accessLogs({ size }), 400);
  });

  test("tenants stay apart: a tenant admin sees its tenant's reads, a platform admin every tenant's", async () => {
    const adminA = await token('usr_admin_a', 'tnt_a');
    const adminB = await token('usr_admin_b', 'tnt_b');
    const root = await token('usr_root');
    assert.equal((await get(ADMIN_LIST, adminB)).status, 200);
    assert.equal((await get(`${ADMIN_LIST}?tenant_id=tnt_b`, root)).status, 200);
    assert.equal((await get(ADMIN_LIST, root)).status, 200);
    assert.deepEqual(distinct(await recorded({ actor: 'usr_root' }, 2), 'tenant_id'), ['', 'tnt_b']);
    await recorded({ actor: 'usr_admin_b', route: ADMIN_LIST }, 1);

    const seenByB = (await list({ size: 100 }, adminB)).items;
    assert.deepEqual(distinct(seenByB, 'tenant_id'), ['tnt_b']);
    assert.deepEqual(distinct(seenByB, 'actor'), ['usr_admin_b', 'usr_root']);
    for (const actor of ['usr_admin_a', 'usr_alice', CLIENT_A.clientId])
      assert.deepEqual((await list({ actor }, adminB)).items, [], `${actor} read in tnt_a`);
    assert.deepEqual(distinct((await list({ size: 100 }, adminA)).items, 'tenant_id'), ['tnt_a']);
    // Its Tuya project's reads: two token calls, one operate-logs read, two refreshes.
    assert.equal((await list({ actor: CLIENT_A.clientId }, adminA)).items.length, 5);
    assert.deepEqual((await list({ actor: 'usr_admin_b' }, adminA)).items, []);
    assertAuthmsError(await accessLogs({ tenant_id: 'tnt_b' }, adminA), 403);
    assert.equal((await list({ tenant_id: 'tnt_a', actor: 'usr_alice' }, adminA)).items.length, 1);

    assert.equal((await list({ actor: 'usr_admin_b', route: ADMIN_LIST })).items.length, 1);
    const onlyB = (await list({ tenant_id: 'tnt_b', size: 100 })).items;
    assert.deepEqual(distinct(onlyB, 'tenant_id'), ['tnt_b']);
    assert.ok(onlyB.some((entry) => entry.actor === 'usr_admin_b'));
  });

  test('on shutdown every read handed over is written', async () => {
    const late = await token('usr_late', 'tnt_b');
    for (const channel of ['sms', 'email', 'push'])
      assert.equal((await get(`${ADMIN_LIST}?channel=${channel}`, late)).status, 200);
    const { access_token } = (await tuyaToken(CLIENT_B)).result;
    assert.equal((await tuyaPage(CLIENT_B, access_token, { size: '1' })).body.success, true);
    await api.restart(); // at once: nothing waits for a batch

    const channels = (await list({ actor: 'usr_late' })).items.map((entry) => entry.query.channel);
    assert.deepEqual(channels.sort(), ['email', 'push', 'sms']);
    const tuya = (await list({ actor: CLIENT_B.clientId })).items;
    const expected = [OPERATE_LOGS, '/v1.0/token'].map((route) => ['tnt_b', route]);
    assert.deepEqual(tuya.map((entry) => [entry.tenant_id, entry.route]).sort(), expected);
  });
});
