import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { mintBearerHeaders, type TuyaProjectCredentials } from './helpers/fuzz-credentials.js';
import { FuzzReport } from './helpers/fuzz-oracle.js';
import { sendFuzzRequest, type SendContext } from './helpers/fuzz-transport.js';
import { routeLabel, routesFromOpenApi, type RouteSpec } from './helpers/openapi-routes.js';
import type { FuzzRequest, KnownValues } from './helpers/fuzz-request.js';
import { generateRequests, requiredTags } from './helpers/request-fuzzer.js';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { send, signedRequest } from './helpers/tuya-signing.js';
import { waitFor } from './helpers/wait-for.js';

// Seeded fuzzing of every documented route over real HTTP. FUZZ_SEED picks the requests (the same
// seed, the same requests), FUZZ_COUNT how many (16,000 by default, at least 10,000 unless FUZZ_ONLY
// is set: the systematic requests of every route come first, so more routes leave fewer random
// ones; 16,000 keeps every route's random share large enough to pass it at least once), and
// FUZZ_ONLY=3,17 sends only those request indexes, to reproduce a failure; FUZZ_SHOW how many
// failure groups the message lists (20), FUZZ_CONCURRENCY how many requests are in flight (8; 1
// replays a keep-alive connection's requests in order, e.g. FUZZ_CONCURRENCY=1 FUZZ_ONLY=12,40).

const SEED = Number(process.env.FUZZ_SEED ?? 424242);
if (!Number.isSafeInteger(SEED))
  throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);
const COUNT = Math.max(Number(process.env.FUZZ_COUNT ?? 16_000) || 0, process.env.FUZZ_ONLY ? 0 : 10_000);
const ONLY = new Set(
  (process.env.FUZZ_ONLY ?? '')
    .split(',')
    .filter((index) => index !== '')
    .map(Number),
);
const SHOW = Number(process.env.FUZZ_SHOW ?? 20);
const CONCURRENCY = Math.max(1, Number(process.env.FUZZ_CONCURRENCY ?? 8));
const REQUEST_TIMEOUT_MS = 20_000;
/** Past this, no further request is sent and the run fails: a guard against a server that hangs, not a benchmark. */
const RUN_BUDGET_MS = 8 * 60_000;
const CLIENT_ID = 'fuzzclient000001';
const SECRET = 'fuzz-secret-0123456789';
const TENANT = 'tnt_f';
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const COMMUNICATION_IDS = ['log_fuzz_0', 'log_fuzz_1', 'log_fuzz_2', 'log_fuzz_3', 'log_fuzz_4'];

/** Records of every kind, so lists, transitions and cursors have rows to find. */
/**
 * Signs a checkpoint of each seeded log covering its first 3 leaves, so that the proofs the fuzzer
 * asks for (from=1, to=1 or 3) can be answered, whatever order its requests come in.
 */
async function signCheckpoints(api: TestServer): Promise<void> {
  const admin = await api.token({ tenant_id: TENANT, roles: ['admin'] });
  for (const kind of ['communication-log', 'mfa-config-audit-log', 'operate-log']) {
    await waitFor(`a checkpoint of 3 leaves of the ${kind} log`, async () => {
      const signed = await fetch(`${api.url}/v1/integrity/${kind}/checkpoint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      return Number((await signed.text()).split('\n')[1]) >= 3;
    });
  }
}

async function seedRecords(api: TestServer): Promise<void> {
  await api.ingest(
    'communication-logs',
    TENANT,
    COMMUNICATION_IDS.map((id, index) => ({
      id,
      user_id: `usr_fuzz_${index % 2}`,
      channel: ['sms', 'email', 'push'][index % 3],
      recipient: index % 2 === 0 ? '13800138000' : 'alice@example.com',
      content: '您的验证码是123456',
      status: index === 4 ? 'sent' : 'pending',
    })),
  );
  await api.ingest('communication-logs', 'tnt_other', [
    { id: 'log_other', user_id: 'usr_x', channel: 'sms', recipient: '1' },
  ]);
  await api.ingest(
    'mfa-config-audit-logs',
    TENANT,
    [0, 1, 2].map((index) => ({
      id: `mfa_fuzz_${index}`,
      action: 'mfa_totp.enabled',
      target_type: 'mfa_totp',
      operator_id: 'usr_fuzz_0',
      timestamp: new Date(T0 + index * 86_400_000).toISOString(),
    })),
  );
  await api.ingest(
    'operate-logs',
    TENANT,
    [0, 1, 2, 3, 4].map((index) => ({
      id: `op_fuzz_${index}`,
      record_time: T0 + index,
      operate_type: 'login',
      operate_content: `登录 content ${index}`,
      merchant_code: 'm1',
    })),
  );
  // Checkpoints of the seeded logs, so that their proofs and leaves have trees to answer from.
  const admin = await api.token({ tenant_id: TENANT, roles: ['admin'] });
  const stream = await api.request('PUT', '/v1/streams/siem', {
    token: admin,
    body: { destination: STREAM_DESTINATION, kinds: ['operate-log'], paused: true },
  });
  assert.equal(stream.status, 201, JSON.stringify(stream.body));
  for (const [kind, size] of [
    ['communication-log', COMMUNICATION_IDS.length],
    ['mfa-config-audit-log', 3],
    ['operate-log', 5],
  ] as const) {
    await waitFor(`a checkpoint of the seeded ${kind}s`, async () => {
      const signed = await fetch(`${api.url}/v1/integrity/${kind}/checkpoint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      const note = await signed.text();
      return signed.status < 300 && Number(note.split('\n')[1]) === size;
    });
  }
}

/** Where the seeded stream delivers: a port nothing listens on (deliveries fail and are retried). */
const STREAM_DESTINATION = {
  type: 'webhook',
  url: 'http://127.0.0.1:9/sealog',
  secrets: [`whsec_${Buffer.alloc(32, 7).toString('base64')}`],
};

/** A fresh Tuya token pair for the fuzz project. */
async function tuyaTokens(api: TestServer): Promise<{ access_token: string; refresh_token: string }> {
  const request = signedRequest('/v1.0/token', {
    clientId: CLIENT_ID,
    secret: SECRET,
    query: { grant_type: '1' },
  });
  const { body } = await send(api.url, request);
  assert.equal(body.success, true, JSON.stringify(body));
  return body.result as { access_token: string; refresh_token: string };
}

/** A real `last_row_key` of the seeded operate logs. */
async function lastRowKey(api: TestServer, accessToken: string): Promise<string> {
  const request = signedRequest('/v1.0/iot-03/audit/operate-logs', {
    clientId: CLIENT_ID,
    secret: SECRET,
    accessToken,
    query: { size: '2' },
  });
  const { body } = await send(api.url, request);
  assert.equal(body.success, true, JSON.stringify(body));
  return (body.result as { last_row_key: string }).last_row_key;
}

/** Sends `requests` with at most CONCURRENCY in flight; stops sending (and says so) past the run budget. */
async function sendAll(
  requests: readonly FuzzRequest[],
  context: SendContext,
  report: FuzzReport,
): Promise<number> {
  const deadline = Date.now() + RUN_BUDGET_MS;
  let next = 0;
  let unsent = 0;
  const worker = async () => {
    for (let request = requests[next++]; request !== undefined; request = requests[next++]) {
      if (Date.now() > deadline) {
        unsent += 1;
        continue;
      }
      report.record(request, await sendFuzzRequest(request, context));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return unsent;
}

describe(`fuzzing every documented route (${TEST_STORE})`, () => {
  let api: TestServer;
  let routes: RouteSpec[];
  let known: KnownValues;
  let context: SendContext;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: `${CLIENT_ID}:${SECRET}:${TENANT}` });
    await seedRecords(api);
    await signCheckpoints(api);
    const { access_token: accessToken } = await tuyaTokens(api);
    const refreshTokens: string[] = [];
    for (let index = 0; index < 3; index++) refreshTokens.push((await tuyaTokens(api)).refresh_token);
    const document: unknown = await (await fetch(`${api.url}/openapi.json`)).json();
    routes = routesFromOpenApi(document);
    known = {
      id: [...COMMUNICATION_IDS, 'log_other', 'log_missing', 'op_fuzz_0', 'mfa_fuzz_0'],
      user_id: ['usr_fuzz_0', 'usr_fuzz_1'],
      operator_id: ['usr_fuzz_0'],
      action: ['mfa_totp.enabled'],
      target_type: ['mfa_totp'],
      tenant_id: [TENANT, 'tnt_other'],
      operate_type: ['login'],
      merchant_code: ['m1'],
      key_words: ['登录', 'content', 'a'],
      last_id: ['op_fuzz_2'],
      last_row_key: [await lastRowKey(api, accessToken)],
      refresh_token: ['{{refresh}}'],
      grant_type: ['1'],
      kind: ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log'],
      leaf_index: ['0'],
      transition: ['1'],
      from: ['1'],
      to: ['1', '3'],
      start: ['0'],
      limit: ['10'],
      // A stream of the tenant (seedRecords) and what PUT /v1/streams/{name} takes.
      name: ['siem'],
      destination: [JSON.stringify(STREAM_DESTINATION)],
      kinds: ['["operate-log"]', '["communication-log","access-log"]'],
      // POST /v1/console/sessions signs in with a token the platform issued (an admin's).
      token: [await api.token({ sub: 'usr_fuzz_console', tenant_id: TENANT, roles: ['admin'] })],
    };
    const tuya: TuyaProjectCredentials = { clientId: CLIENT_ID, secret: SECRET, accessToken };
    context = {
      baseUrl: api.url,
      bearer: await mintBearerHeaders(api, TENANT),
      tuya,
      refreshToken: () => refreshTokens.shift() ?? 'spent0000000000000000000000000000',
      timeoutMs: REQUEST_TIMEOUT_MS,
      agent,
    };
  });
  after(async () => {
    agent.destroy();
    // A connection a request left hanging (a failure reported by the test) must not keep the
    // server from stopping.
    api.server.app.server.closeAllConnections();
    await api.close();
  });

  test(
    'no request gets a 5xx, a dropped connection or an answer outside its API shape',
    { timeout: 10 * 60_000 },
    async (t) => {
      const all = generateRequests(routes, known, SEED, COUNT);
      const missing = requiredTags(routes).filter(
        (tag) => !all.some((request) => request.tags.includes(tag)),
      );
      assert.deepEqual(missing, [], `seed ${SEED}: these parameters were never fuzzed`);
      const requests = ONLY.size > 0 ? all.filter((request) => ONLY.has(request.index)) : all;

      const report = new FuzzReport(routes);
      const started = Date.now();
      const unsent = await sendAll(requests, context, report);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const transports = ['fetch', 'http', 'raw'].map(
        (name) => `${name} ${requests.filter((r) => r.transport === name).length}`,
      );
      const summary = `fuzz: ${report.requests} requests on ${TEST_STORE}, seed ${SEED}, ${seconds} s (${transports.join(', ')}): ${report.histogramText()}`;
      const passed = `fuzz: requests that passed, by route: ${JSON.stringify(Object.fromEntries(report.successes))}`;
      t.diagnostic(summary);
      t.diagnostic(passed);
      console.log(summary);

      // The server still answers after the run.
      assert.equal((await api.request('GET', '/healthz')).status, 200);
      const admin = await api.token({ tenant_id: TENANT, roles: ['admin'] });
      assert.equal((await api.request('GET', '/admin/communication/logs', { token: admin })).status, 200);

      assert.equal(
        unsent,
        0,
        `seed ${SEED}: ${unsent} requests were not sent within ${RUN_BUDGET_MS / 60_000} min`,
      );
      const reproduce = `FUZZ_SEED=${SEED} FUZZ_ONLY=<#index>${TEST_STORE === 'postgres' ? ' TEST_STORE=postgres TEST_DATABASE_URL=…' : ''} npx tsx --test test/fuzz.test.ts`;
      assert.equal(
        report.failureCount,
        0,
        `seed ${SEED} on ${TEST_STORE}: ${report.failureCount} of ${report.requests} requests failed, in ${report.groups.size} groups ` +
          `(reproduce one with ${reproduce}):\n${report.failuresText(SHOW)}`,
      );
      if (ONLY.size === 0) {
        const neverPassed = routes.map(routeLabel).filter((label) => !report.successes.has(label));
        assert.deepEqual(
          neverPassed,
          [],
          `seed ${SEED}: no request passed these routes (credentials or signing broken?)`,
        );
      }
    },
  );
});
