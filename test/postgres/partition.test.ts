import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TuyaContext } from '@tuya/tuya-connector-nodejs';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { proxyInFrontOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/test-server.js';
import { send, signedRequest } from '../helpers/tuya-signing.js';

const CLIENT = 'partitionclient1';
const SECRET = 'partition-secret-0123456789';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';
/** Long enough that neither the statement timeout nor the query timeout could be what answers. */
const STATEMENT_TIMEOUT_MS = 600_000;
/**
 * A generous bound on the time to a 503, far above DATABASE_UNAVAILABLE_TIMEOUT (5 s) and far below
 * what the statement timeout would take: it tells the two mechanisms apart on a loaded machine.
 */
const BOUND_MS = 120_000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round(performance.now() - started) };
}

describe(
  'network partition: PostgreSQL silent with its connections open',
  { skip: !TEST_DATABASE_URL },
  () => {
    let schema: TestSchema;
    let proxy: TcpProxy;
    let api: TestServer;
    let admin: string;
    let writer: string;
    let accessToken: string;

    const adminList = () => api.request('GET', '/admin/communication/logs?page_size=50', { token: admin });
    const ingest = (id: string) =>
      api.request('POST', '/v1/ingest/communication-logs', {
        token: writer,
        body: [{ id, user_id: 'usr_1', channel: 'sms', recipient: '13800138000' }],
      });
    const tuyaPage = () =>
      send(
        api.url,
        signedRequest(OPERATE_LOGS, { clientId: CLIENT, secret: SECRET, accessToken, query: { size: '5' } }),
      );

    before(async () => {
      schema = await createTestSchema();
      const front = await proxyInFrontOf(schema.url);
      proxy = front.proxy;
      api = await startTestServer({
        DATABASE_URL: front.url,
        TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_p`,
        DATABASE_STATEMENT_TIMEOUT: String(STATEMENT_TIMEOUT_MS),
      });
      admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_p', roles: ['admin'] });
      writer = await api.token({ sub: 'svc', tenant_id: 'tnt_p', roles: ['audit:write'] });
      assert.equal((await ingest('log_before')).status, 200);
      const tuya = new TuyaContext({ baseUrl: api.url, accessKey: CLIENT, secretKey: SECRET });
      assert.equal((await tuya.request({ path: OPERATE_LOGS, method: 'GET', query: {} })).success, true);
      accessToken = await (
        tuya.client as unknown as { store: { getAccessToken(): Promise<string> } }
      ).store.getAccessToken();
    });
    after(async () => {
      proxy.heal();
      await api.close();
      await proxy.cut();
      await schema.drop();
    });

    test('requests get 503 in their API shape within a bounded time; /readyz follows; nothing acknowledged is lost', async (t) => {
      proxy.silence();
      // Sent into the partition: the pooled connections they use stay open and never answer.
      const [list, batch, tuya] = await Promise.all([
        timed(adminList),
        timed(() => ingest('log_during')),
        timed(tuyaPage),
      ]);
      const ready = await timed(() => api.request('GET', '/readyz'));
      t.diagnostic(
        `time to 503 in a partition (DATABASE_UNAVAILABLE_TIMEOUT 5000 ms): list ${list.ms} ms, ingest ${batch.ms} ms, ` +
          `Tuya ${tuya.ms} ms, /readyz ${ready.ms} ms`,
      );
      for (const { value, ms } of [list, batch] as { value: ApiResponse; ms: number }[]) {
        assert.equal(value.status, 503);
        assert.deepEqual(Object.keys(value.body).sort(), ['code', 'message', 'timestamp']);
        assert.equal(value.body.code, 503);
        assert.equal(value.headers.get('retry-after'), '2');
        assert.ok(ms < BOUND_MS, `503 after ${ms} ms`);
      }
      assert.equal(tuya.value.status, 503);
      assert.equal(tuya.value.body.code, 1111);
      assert.equal(tuya.value.headers.get('retry-after'), '2');
      assert.ok(tuya.ms < BOUND_MS);
      assert.equal(ready.value.status, 503);
      assert.ok(ready.ms < BOUND_MS);

      // While the partition lasts, requests are refused at once rather than queued.
      const again = await timed(adminList);
      assert.equal(again.value.status, 503);
      t.diagnostic(`a request while the partition is known: 503 in ${again.ms} ms`);

      proxy.heal();
      const healed = performance.now();
      let status = 0;
      while (status !== 200) {
        status = (await api.request('GET', '/readyz')).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      t.diagnostic(
        `/readyz 200 again ${Math.round(performance.now() - healed)} ms after the partition healed`,
      );

      // The batch answered 503 may or may not be stored; sending it again stores it exactly once.
      assert.equal((await ingest('log_during')).status, 200);
      const after = await adminList();
      assert.equal(after.status, 200);
      assert.deepEqual((after.body.items as { id: string }[]).map((row) => row.id).sort(), [
        'log_before',
        'log_during',
      ]);
      assert.equal((await tuyaPage()).body.success, true);
    });
  },
);
