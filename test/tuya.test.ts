import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TuyaContext, type TuyaTokenStorInterface } from '@tuya/tuya-connector-nodejs';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import {
  send,
  signedRequest,
  type SignOptions,
  type Strings,
  type TuyaBody,
} from './helpers/tuya-signing.js';

const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';
const CLIENT_A = 'sealogclienta001';
const SECRET_A = 'secret-a-0123456789abcdef';
const CLIENT_B = 'sealogclientb002';
const SECRET_B = 'secret-b-fedcba9876543210';
const CLIENTS = `${CLIENT_A}:${SECRET_A}:tnt_a,${CLIENT_B}:${SECRET_B}:tnt_b`;
const FIELDS = [
  ...['id', 'record_time', 'uid', 'username', 'operate_type', 'operate_content', 'user_id', 'role'],
  ...['account', 'operate_geo_info', 'operate_ip_info', 'client_id', 'merchant_code', 'ext', 'project_code'],
].sort();
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

type Row = {
  id: string;
  record_time: number;
  operate_type: string;
  operate_content: string;
  merchant_code: string;
};
type Page = { list: Row[]; has_more: boolean; last_row_key: string };
type Tokens = { access_token: string; refresh_token: string; expire_time: number; uid: string };
type Query = Record<string, string | number | Record<string, number>>;

const sdk = (baseUrl: string, accessKey = CLIENT_A, secretKey = SECRET_A) =>
  new TuyaContext({ baseUrl, accessKey, secretKey });
/** The SDK's in-memory token store (a private, untyped field of its client). */
const tokenStore = (tuya: TuyaContext) => (tuya.client as unknown as { store: TuyaTokenStorInterface }).store;

async function page(tuya: TuyaContext, query: Query = {}): Promise<Page> {
  const res = await tuya.request<Page>({ path: OPERATE_LOGS, method: 'GET', query });
  assert.equal(res.success, true, JSON.stringify(res));
  return res.result;
}
async function refusal(tuya: TuyaContext, query: Query): Promise<{ code: number; msg: string }> {
  const res = await tuya.request<unknown>({ path: OPERATE_LOGS, method: 'GET', query });
  assert.equal(res.success, false, JSON.stringify(res));
  return { code: res.code, msg: res.msg ?? '' };
}
const idsOf = (rows: readonly Row[]) => rows.map((row) => row.id);
const ids = async (tuya: TuyaContext, query: Query) =>
  idsOf((await page(tuya, { size: 100, ...query })).list);

/** Walks every page; `between` runs after each page (e.g. to ingest rows mid-walk). */
async function walk(
  tuya: TuyaContext,
  query: Query,
  cursor: 'last_id' | 'last_row_key',
  between?: (pageNo: number) => Promise<void>,
): Promise<Row[]> {
  const rows: Row[] = [];
  let next: Query = {};
  for (let pageNo = 1; pageNo < 1000; pageNo++) {
    const { list, has_more, last_row_key } = await page(tuya, { ...query, ...next });
    rows.push(...list);
    const last = list.at(-1);
    if (!has_more) return rows;
    assert.ok(last, 'has_more with an empty page');
    next = cursor === 'last_id' ? { last_id: last.id, last_record_time: last.record_time } : { last_row_key };
    await between?.(pageNo);
  }
  throw new Error('the walk never ended');
}
const byTimeThenIdDesc = (a: Row, b: Row) =>
  b.record_time - a.record_time || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function record(id: string, record_time: number, fields: Partial<Row> = {}) {
  return {
    ...{ id, record_time, operate_type: 'login', operate_content: `content of ${id}`, merchant_code: 'm1' },
    ...{ uid: 'u1', username: 'alice', user_id: 'usr_1', role: 'admin', account: 'alice@example.com' },
    ...{ operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1', client_id: 'app1', ext: '{}' },
    project_code: 'p1',
    ...fields,
  };
}

type ClientOptions = Omit<SignOptions, 'clientId' | 'secret'> & { clientId?: string; secret?: string };
const signed = (path: string, options: ClientOptions = {}) =>
  signedRequest(path, { clientId: CLIENT_A, secret: SECRET_A, ...options });

async function handToken(baseUrl: string, options: ClientOptions = {}): Promise<Tokens> {
  const { body } = await send(baseUrl, signed('/v1.0/token', { ...options, query: { grant_type: '1' } }));
  assert.equal(body.success, true, JSON.stringify(body));
  return body.result as Tokens;
}
const handRefresh = (baseUrl: string, refreshToken: string) =>
  send(baseUrl, signed(`/v1.0/token/${refreshToken}`));
const handPage = (baseUrl: string, accessToken: string, query: Strings = { size: '5' }) =>
  send(baseUrl, signed(OPERATE_LOGS, { accessToken, query }));

describe('Tuya tokens', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: CLIENTS });
    await api.ingest('operate-logs', 'tnt_a', [record('op_t1', T0), record('op_t2', T0 + 1)]);
  });
  after(() => api.close());

  test('the first SDK call fetches a token and returns the seed envelope with exactly the 15 fields', async () => {
    const tuya = sdk(api.url);
    assert.equal(await tokenStore(tuya).getAccessToken(), undefined);
    const res = (await tuya.request<Page>({ path: OPERATE_LOGS, method: 'GET', query: { size: 20 } })) as {
      success: boolean;
      t?: unknown;
      result: Page;
    };
    const accessToken = String(await tokenStore(tuya).getAccessToken());
    assert.equal((await handPage(api.url, accessToken)).body.success, true, 'the SDK holds an issued token');
    assert.equal(res.success, true);
    assert.equal(typeof res.t, 'number');
    assert.deepEqual(Object.keys(res.result).sort(), ['has_more', 'last_row_key', 'list']);
    assert.equal(res.result.has_more, false);
    assert.equal(typeof res.result.last_row_key, 'string');
    assert.deepEqual(idsOf(res.result.list), ['op_t2', 'op_t1']);
    for (const row of res.result.list) assert.deepEqual(Object.keys(row).sort(), FIELDS);
    assert.deepEqual(res.result.list[1], record('op_t1', T0));
  });

  test('a hand-signed token call answers the Tuya token envelope', async () => {
    const { status, body } = await send(api.url, signed('/v1.0/token', { query: { grant_type: '1' } }));
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.ok(Math.abs(body.t - Date.now()) < 60_000);
    const result = body.result as Tokens;
    assert.deepEqual(Object.keys(result).sort(), ['access_token', 'expire_time', 'refresh_token', 'uid']);
    assert.equal(result.expire_time, 7200);
    for (const value of [result.access_token, result.refresh_token, result.uid]) assert.ok(value.length > 0);
    assert.notEqual(result.access_token, result.refresh_token);
    assert.equal((await handPage(api.url, result.access_token)).body.success, true);
  });

  test('refreshing rotates both tokens once and ends the old access token with 1010', async () => {
    const first = await handToken(api.url);
    const refreshed = await handRefresh(api.url, first.refresh_token);
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.body.success, true, JSON.stringify(refreshed.body));
    const second = refreshed.body.result as Tokens;
    assert.notEqual(second.access_token, first.access_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    const again = await handRefresh(api.url, first.refresh_token);
    assert.equal(again.body.success, false);
    assert.equal(again.body.code, 1011);
    const old = await handPage(api.url, first.access_token);
    assert.equal(old.body.success, false);
    assert.equal(old.body.code, 1010);
    assert.equal((await handPage(api.url, second.access_token)).body.success, true);
  });

  test('errors are HTTP 200 with {success:false, code, msg, t, tid}', async () => {
    const response = await fetch(`${api.url}${OPERATE_LOGS}?size=5`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as TuyaBody;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'msg', 'success', 't', 'tid']);
    assert.equal(body.success, false);
    assert.equal(body.code, 1105);
    assert.match(String(body.msg), /^missing the header/);
    assert.ok(Math.abs(body.t - Date.now()) < 60_000);
    assert.match(String(body.tid), /^[0-9a-f]{32}$/);
  });

  test('an unknown path under /v1.0/ is not a server error', async () => {
    const response = await send(api.url, signed('/v1.0/iot-03/audit/no-such-thing'));
    assert.ok(response.status < 500, `status ${response.status}`);
  });
});

describe('Tuya token expiry and restarts', () => {
  // Nothing here waits for a token to expire: the server runs on a clock the tests move forward.
  // The signing window is wider than any jump, so that the t of a request, which the SDK takes from
  // the real clock, stays valid.
  const TTL_MS = 3_600_000;
  let aheadMs = 0;
  const serverClock = () => Date.now() + aheadMs;
  let api: TestServer;
  before(async () => {
    const settings = {
      TUYA_CLIENTS: CLIENTS,
      TUYA_TOKEN_TTL: String(TTL_MS / 1000),
      TUYA_SIGN_WINDOW: '86400',
    };
    api = await startTestServer(settings, { now: serverClock });
    await api.ingest('operate-logs', 'tnt_a', [record('op_x1', T0)]);
  });
  after(() => api.close());

  test('the SDK refreshes an expired token through /v1.0/token/{refresh_token} and retries', async () => {
    const tuya = sdk(api.url);
    assert.deepEqual(idsOf((await page(tuya)).list), ['op_x1']);
    const accessBefore = String(await tokenStore(tuya).getAccessToken());
    const refreshBefore = String(await tokenStore(tuya).getRefreshToken());

    // A minute before it expires (unless the test itself took a minute) the token still works.
    aheadMs += TTL_MS - 60_000;
    assert.deepEqual(idsOf((await page(tuya)).list), ['op_x1']);
    assert.equal(await tokenStore(tuya).getAccessToken(), accessBefore, 'no refresh yet');

    // A second past its lifetime, however fast the test runs.
    aheadMs += 61_000;
    assert.deepEqual(idsOf((await page(tuya)).list), ['op_x1']);
    assert.notEqual(await tokenStore(tuya).getAccessToken(), accessBefore);
    assert.notEqual(await tokenStore(tuya).getRefreshToken(), refreshBefore);
    // The old refresh token was spent by a refresh (a fallback to grant_type=1 would have left it live).
    assert.equal((await handRefresh(api.url, refreshBefore)).body.code, 1011);
    assert.equal((await handPage(api.url, accessBefore)).body.code, 1010);
  });

  test('access tokens survive a restart on the same database', async () => {
    const tokens = await handToken(api.url);
    await api.restart();
    const { body } = await handPage(api.url, tokens.access_token);
    assert.equal(body.success, true, JSON.stringify(body));
  });
});

describe('Tuya request signing', () => {
  let api: TestServer;
  let skewed: TestServer;
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: CLIENTS });
    skewed = await startTestServer({ TUYA_CLIENTS: CLIENTS }, { now: () => Date.now() + 3_600_000 });
  });
  after(async () => {
    await api.close();
    await skewed.close();
  });

  test('a wrong secret fails the token call with 1004', async () => {
    await assert.rejects(page(sdk(api.url, CLIENT_A, 'wrong-secret-0123456789')), /GET_TOKEN_FAILED 1004/);
  });

  test('a t outside the signing window fails with 1013', async () => {
    await assert.rejects(page(sdk(skewed.url)), /GET_TOKEN_FAILED 1013/);
  });

  test('a replayed nonce is refused; a new nonce works', async () => {
    const { access_token } = await handToken(api.url);
    const request = signed(OPERATE_LOGS, {
      accessToken: access_token,
      nonce: randomUUID(),
      query: { size: '3' },
    });
    assert.equal((await send(api.url, request)).body.success, true);
    const replay = await send(api.url, request);
    assert.equal(replay.body.success, false);
    assert.equal(replay.body.code, 1004);
    assert.match(String(replay.body.msg), /nonce/);
    const fresh = signed(OPERATE_LOGS, {
      accessToken: access_token,
      nonce: randomUUID(),
      query: { size: '3' },
    });
    assert.equal((await send(api.url, fresh)).body.success, true);
  });

  test('a replayed nonce gets the replay error whatever else the request gets wrong', async () => {
    // The nonce is checked while the read runs: a replay must still answer only the replay error,
    // also when its parameters are refused, or its access token is not valid.
    const { access_token } = await handToken(api.url);
    const nonce = randomUUID();
    const valid = signed(OPERATE_LOGS, { accessToken: access_token, nonce, query: { size: '3' } });
    assert.equal((await send(api.url, valid)).body.success, true);
    for (const replay of [
      signed(OPERATE_LOGS, { accessToken: access_token, nonce, query: { size: '0' } }),
      signed(OPERATE_LOGS, { accessToken: 'not-a-token-of-this-client', nonce, query: { size: '3' } }),
    ]) {
      const answer = await send(api.url, replay);
      assert.equal(answer.body.success, false);
      assert.equal(answer.body.code, 1004);
      assert.match(String(answer.body.msg), /nonce/);
    }
    // The same refused parameters with a fresh nonce get their own error.
    const fresh = signed(OPERATE_LOGS, {
      accessToken: access_token,
      nonce: randomUUID(),
      query: { size: '0' },
    });
    assert.equal((await send(api.url, fresh)).body.code, 1109);
  });

  test('unknown client 1005, missing headers 1105, no access_token 1002, tampered query 1004', async () => {
    const unknown = await send(
      api.url,
      signed('/v1.0/token', { clientId: 'nosuchclient0001', query: { grant_type: '1' } }),
    );
    assert.equal(unknown.body.code, 1005);
    const { t, sign } = signed('/v1.0/token', { query: { grant_type: '1' } }).headers;
    const missing = await send(api.url, {
      url: '/v1.0/token?grant_type=1',
      headers: { t: t ?? '', sign: sign ?? '' },
    });
    assert.equal(missing.body.code, 1105);
    assert.equal((await send(api.url, signed(OPERATE_LOGS, { query: { size: '5' } }))).body.code, 1002);
    const { access_token } = await handToken(api.url);
    const tampered = signed(OPERATE_LOGS, {
      accessToken: access_token,
      query: { size: '6' },
      signedQuery: { size: '5' },
    });
    const answer = await send(api.url, tampered);
    assert.equal(answer.body.success, false);
    assert.equal(answer.body.code, 1004);
  });
});

describe('Tuya operate-log query', () => {
  let api: TestServer;
  let tuyaA: TuyaContext;
  let tuyaB: TuyaContext;
  const at = (second: number) => T0 + second * 1000;
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: CLIENTS });
    tuyaA = sdk(api.url);
    tuyaB = sdk(api.url, CLIENT_B, SECRET_B);
    await api.ingest('operate-logs', 'tnt_a', [
      record('f1', at(1), { operate_content: 'Log IN to System 2' }),
      record('f2', at(2), { operate_type: 'logout', merchant_code: 'm2', operate_content: '用户登录了系统' }),
      record('f3', at(3), { operate_content: '登出' }),
      record('f4', at(4), {
        operate_type: 'update',
        merchant_code: 'm2',
        operate_content: 'progress 100% done',
      }),
      record('f5', at(5), { operate_type: 'update', operate_content: 'progress 100 percent' }),
      record('f6', at(6), { operate_type: 'rename', operate_content: 'renamed file_a' }),
      record('f7', at(7), { operate_type: 'rename', operate_content: 'renamed fileXa' }),
      record('f8', at(8), { merchant_code: 'm2', operate_content: 'please LOG in again' }),
      record('f9', at(9), { operate_type: 'logout', operate_content: '登录失败' }),
      record('shared', at(10), { operate_content: 'log in from A' }),
    ]);
    await api.ingest('operate-logs', 'tnt_b', [
      record('b1', at(1), { operate_content: 'log in from B' }),
      record('b2', at(4), { operate_type: 'update', merchant_code: 'm2', operate_content: '登录了系统 B' }),
      record('shared', at(10), { operate_content: 'shared id in B' }),
    ]);
  });
  after(() => api.close());

  test('start_time and end_time are inclusive', async () => {
    assert.deepEqual(await ids(tuyaA, { start_time: at(2), end_time: at(4) }), ['f4', 'f3', 'f2']);
    assert.deepEqual(await ids(tuyaA, { start_time: at(9) }), ['shared', 'f9']);
    assert.deepEqual(await ids(tuyaA, { end_time: at(1) }), ['f1']);
  });

  test('operate_type and merchant_code match exactly', async () => {
    assert.deepEqual(await ids(tuyaA, { operate_type: 'logout' }), ['f9', 'f2']);
    assert.deepEqual(await ids(tuyaA, { operate_type: 'log' }), []);
    assert.deepEqual(await ids(tuyaA, { merchant_code: 'm2' }), ['f8', 'f4', 'f2']);
    assert.deepEqual(await ids(tuyaA, { merchant_code: 'm2', operate_type: 'login' }), ['f8']);
  });

  test('a form-encoded + in the query is a space, for the signature as for the search', async () => {
    const { access_token } = await handToken(api.url);
    // Signed over the decoded text "log in" and sent as key_words=log+in, as form encoders write it.
    const request = signed(OPERATE_LOGS, {
      accessToken: access_token,
      query: { key_words: 'log in', size: '5' },
    });
    const { body } = await send(api.url, { ...request, url: request.url.replace('log%20in', 'log+in') });
    assert.equal(body.success, true, JSON.stringify(body));
    const list = (body.result as { list: Row[] }).list;
    assert.deepEqual(
      list.map((row) => row.id),
      ['shared', 'f8', 'f1'],
    );
  });

  test('key_words: Latin case-insensitive, Chinese of any length, % and _ literal', async () => {
    assert.deepEqual(await ids(tuyaA, { key_words: 'log in' }), ['shared', 'f8', 'f1']);
    assert.deepEqual(await ids(tuyaA, { key_words: 'LOG IN TO' }), ['f1']);
    assert.deepEqual(await ids(tuyaA, { key_words: '登' }), ['f9', 'f3', 'f2']);
    assert.deepEqual(await ids(tuyaA, { key_words: '登录' }), ['f9', 'f2']);
    assert.deepEqual(await ids(tuyaA, { key_words: '登录了系统' }), ['f2']);
    assert.deepEqual(await ids(tuyaA, { key_words: '100%' }), ['f4']);
    assert.deepEqual(await ids(tuyaA, { key_words: '%' }), ['f4']);
    assert.deepEqual(await ids(tuyaA, { key_words: 'file_a' }), ['f6']);
    assert.deepEqual(await ids(tuyaA, { key_words: '_' }), ['f6']);
    assert.deepEqual(await ids(tuyaA, { key_words: 'log in', operate_type: 'login', end_time: at(8) }), [
      'f8',
      'f1',
    ]);
  });

  test('size limits the page and has_more tells', async () => {
    const first = await page(tuyaA, { size: 2 });
    assert.deepEqual(idsOf(first.list), ['shared', 'f9']);
    assert.equal(first.has_more, true);
    const all = await page(tuyaA, { size: 10 });
    assert.equal(all.list.length, 10);
    assert.equal(all.has_more, false);
  });

  test('bad parameters answer 1109', async () => {
    for (const size of [101, 0, 'abc']) {
      const { code, msg } = await refusal(tuyaA, { size });
      assert.equal(code, 1109, `size ${size}`);
      assert.match(msg, /size/);
    }
    assert.equal((await refusal(tuyaA, { start_time: at(5), end_time: at(4) })).code, 1109);
    assert.equal((await refusal(tuyaA, { last_id: 'f5' })).code, 1109);
    assert.equal((await refusal(tuyaA, { last_row_key: 'garbage!' })).code, 1109);
    assert.equal(
      (await refusal(tuyaA, { last_row_key: Buffer.from('[1,2]').toString('base64url') })).code,
      1109,
    );
  });

  test('each project sees only its own tenant', async () => {
    assert.deepEqual(await ids(tuyaB, {}), ['shared', 'b2', 'b1']);
    const shared = (await page(tuyaB, { size: 1 })).list[0];
    assert.equal(shared?.operate_content, 'shared id in B');
    assert.deepEqual(await ids(tuyaB, { key_words: 'log in' }), ['b1']);
    assert.deepEqual(await ids(tuyaB, { key_words: '登录了系统' }), ['b2']);
    assert.deepEqual(await ids(tuyaB, { merchant_code: 'm2', operate_type: 'update' }), ['b2']);
    assert.deepEqual(await ids(tuyaA, { key_words: 'from' }), ['shared']);
    assert.deepEqual(await ids(tuyaA, { operate_type: 'update' }), ['f5', 'f4']);
  });

  test('req is accepted flattened, as req[size] and as JSON', async () => {
    assert.equal((await page(tuyaA, { size: 2 })).list.length, 2);
    assert.equal((await page(tuyaA, { req: { size: 3 } })).list.length, 3);
    assert.equal((await page(tuyaA, { req: JSON.stringify({ size: 4 }) })).list.length, 4);
  });
});

describe('Tuya cursor paging', () => {
  let api: TestServer;
  let tuya: TuyaContext;
  const SAME = T0 + 500_000;
  // 53 rows: 40 share one record_time; ids are chosen so id order differs from insertion order.
  const originals = Array.from({ length: 53 }, (_, i) =>
    record(`w${String((i * 37) % 53).padStart(3, '0')}`, i < 40 ? SAME : T0 + i * 100_000),
  );
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: CLIENTS });
    tuya = sdk(api.url);
    await api.ingest('operate-logs', 'tnt_a', originals);
  });
  after(() => api.close());

  const expected = () => idsOf([...originals].sort(byTimeThenIdDesc));

  for (const cursor of ['last_id', 'last_row_key'] as const) {
    test(`a walk with ${cursor} returns every row once, by (record_time, id) desc`, async () => {
      const rows = await walk(tuya, { size: 7 }, cursor);
      assert.deepEqual(idsOf(rows), expected());
    });
  }

  test('rows ingested during a walk never repeat a row or lose an original one', async () => {
    const rows = await walk(tuya, { size: 7 }, 'last_row_key', async (pageNo) => {
      await api.ingest('operate-logs', 'tnt_a', [
        record(`new${pageNo}`, T0 + 10_000_000 + pageNo),
        record(`old${pageNo}`, T0 - pageNo),
        record(`w999x${pageNo}`, SAME),
        record(`a00${pageNo}`, SAME),
      ]);
    });
    const seen = idsOf(rows);
    assert.equal(new Set(seen).size, seen.length, 'no row twice');
    for (const id of expected()) assert.ok(seen.includes(id), `${id} returned`);
    assert.deepEqual(rows, [...rows].sort(byTimeThenIdDesc));
    assert.ok(
      seen.includes('old1') && !seen.includes('new1'),
      'older arrivals are reached, newer ones are behind',
    );
  });
});

describe('Tuya key_words on both search plans', () => {
  let api: TestServer;
  let tuya: TuyaContext;
  const rows = Array.from({ length: 2600 }, (_, i) =>
    record(`k${String(i).padStart(4, '0')}`, T0 + i, {
      operate_content:
        i % 5 === 0
          ? `user login ${i}`
          : `${i % 2 === 0 ? 'Device' : 'device'} ${i}${i % 500 === 1 ? ' QuasarX' : ''} on`,
    }),
  );
  const matching = (term: string, source: readonly Row[]) =>
    idsOf(
      source
        .filter((row) => row.operate_content.toLowerCase().includes(term.toLowerCase()))
        .sort(byTimeThenIdDesc),
    );
  const planOf = (term: string) => api.server.store.operateLogs.keywordPlan('tnt_a', term);

  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: CLIENTS });
    tuya = sdk(api.url);
    await api.ingest('operate-logs', 'tnt_a', rows);
    const store = api.server.store;
    // PostgreSQL maintains its trigram index inside each insert; SQLite's catches up in the background.
    if (store instanceof SqliteStore) {
      await store.searchIndexer?.whenCaughtUp();
      assert.equal(store.searchIndexer?.pendingRows(), 0);
    }
  });
  after(() => api.close());

  test('a common term scans the time index, a rare one uses the trigram index; both are exact', async () => {
    assert.equal(await planOf('device'), 'scan-time-index');
    assert.equal(await planOf('quasarx'), 'trigram-index');
    const common = await walk(tuya, { key_words: 'device', size: 100 }, 'last_row_key');
    assert.deepEqual(idsOf(common), matching('device', rows));
    assert.equal(common.length, 2080);
    assert.deepEqual(await ids(tuya, { key_words: 'quasarx' }), matching('quasarx', rows));
    assert.equal(matching('quasarx', rows).length, 6);
    const windowed = await ids(tuya, { key_words: 'DEVICE 25', start_time: T0 + 2500, end_time: T0 + 2599 });
    assert.deepEqual(windowed, matching('device 25', rows.slice(2500)));
  });

  test(
    'rows not yet in the trigram index are found right after ingest',
    { skip: TEST_STORE !== 'sqlite' },
    async () => {
      const store = api.server.store;
      assert.ok(store instanceof SqliteStore);
      const indexer = store.searchIndexer;
      assert.ok(indexer);
      await indexer.stop(); // nothing ingested from here on reaches the index
      const late = [
        record('late1', T0 + 5000, { operate_content: 'late quasarx' }),
        record('late2', T0 - 5, { operate_content: 'QUASARX late' }),
      ];
      await api.ingest('operate-logs', 'tnt_a', late);
      assert.ok(indexer.pendingRows() >= 2);
      assert.equal(await planOf('quasarx'), 'trigram-index');
      assert.deepEqual(await ids(tuya, { key_words: 'quasarx' }), matching('quasarx', [...rows, ...late]));
      assert.deepEqual((await ids(tuya, { key_words: 'late' })).sort(), ['late1', 'late2']);
    },
  );
});
