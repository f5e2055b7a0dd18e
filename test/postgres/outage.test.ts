import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TuyaContext } from '@tuya/tuya-connector-nodejs';
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/storage/postgres/migrations.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import {
  createTestSchema,
  TEST_DATABASE_URL,
  TEST_ON_CITUS,
  type TestSchema,
} from '../helpers/postgres-schema.js';
import { proxyInFrontOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { send, signedRequest } from '../helpers/tuya-signing.js';
import { waitFor } from '../helpers/wait-for.js';

const CLIENT = 'outageclient0001';
const SECRET = 'outage-secret-0123456789';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';

describe('PostgreSQL outage: 503 in each API shape, no crash, recovery', { skip: !TEST_DATABASE_URL }, () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let api: TestServer;
  let admin: string;
  let accessToken: string;

  const adminList = () => api.request('GET', '/admin/communication/logs?page_size=5', { token: admin });
  const tuyaPage = () =>
    send(
      api.url,
      signedRequest(OPERATE_LOGS, { clientId: CLIENT, secret: SECRET, accessToken, query: { size: '5' } }),
    );
  const log = (id: string) => ({ id, user_id: 'usr_1', channel: 'sms', recipient: '13800138000' });

  before(async () => {
    schema = await createTestSchema();
    const front = await proxyInFrontOf(schema.url);
    proxy = front.proxy;
    // DATABASE_URL set explicitly: this server runs on PostgreSQL through the proxy whatever TEST_STORE is.
    api = await startTestServer({
      DATABASE_URL: front.url,
      TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_o`,
      DATABASE_STATEMENT_TIMEOUT: '2000',
    });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_o', roles: ['admin'] });
    await api.ingest('communication-logs', 'tnt_o', [log('log_before')]);
    await api.ingest('operate-logs', 'tnt_o', [{ id: 'op_1', operate_type: 'login' }]);
    const tuya = new TuyaContext({ baseUrl: api.url, accessKey: CLIENT, secretKey: SECRET });
    const first = await tuya.request<{ list: unknown[] }>({ path: OPERATE_LOGS, method: 'GET', query: {} });
    assert.equal(first.success, true);
    const token = await (
      tuya.client as unknown as { store: { getAccessToken(): Promise<string> } }
    ).store.getAccessToken();
    accessToken = token;
  });
  after(async () => {
    await api.close();
    await proxy.cut();
    await schema.drop();
  });

  test('while PostgreSQL is unreachable every API answers 503 in its own shape; then it recovers', async () => {
    assert.equal((await adminList()).status, 200);
    await proxy.cut();

    const list = await adminList();
    assert.equal(list.status, 503);
    assert.deepEqual(Object.keys(list.body).sort(), ['code', 'message', 'timestamp']);
    assert.equal(list.body.code, 503);
    assert.match(String(list.body.message), /database does not answer; retry later/);
    assert.equal(list.headers.get('retry-after'), '2');

    const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_o', roles: ['audit:write'] });
    const ingest = await api.request('POST', '/v1/ingest/communication-logs', {
      token: writer,
      body: [log('log_during')],
    });
    assert.equal(ingest.status, 503);
    assert.equal(ingest.body.code, 503);

    const tuya = await tuyaPage();
    assert.equal(tuya.status, 503);
    assert.equal(tuya.body.success, false);
    assert.equal(tuya.body.code, 1111);
    assert.match(String(tuya.body.msg), /^system is busy, please retry later/);

    assert.equal((await api.request('GET', '/readyz')).status, 503);
    assert.equal((await api.request('GET', '/healthz')).status, 200, 'the process is alive');

    await proxy.open();
    // However long the pool takes to reconnect: what matters is that it does by itself.
    await waitFor(
      '/readyz to answer 200 again once PostgreSQL is back',
      async () => (await api.request('GET', '/readyz')).status === 200,
    );
    const again = await adminList();
    assert.equal(again.status, 200);
    assert.deepEqual(
      (again.body.items as { id: string }[]).map((row) => row.id),
      ['log_before'],
      'the refused batch wrote nothing; the acknowledged one is there',
    );
    await api.ingest('communication-logs', 'tnt_o', [log('log_after')]);
    const page = await tuyaPage();
    assert.equal(page.status, 200);
    assert.equal(page.body.success, true);
  });
});

/** The server process id of `client`'s connection. */
async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]?.pid ?? 0;
}

/**
 * The URL of `url` with an application name, so that a test finds its own store's sessions in
 * pg_stat_activity: test files run side by side, and another file's migration may be waiting for
 * the same database-wide lock.
 */
function namedUrl(url: string, applicationName: string): string {
  const named = new URL(url);
  named.searchParams.set('application_name', applicationName);
  return named.toString();
}

/**
 * True once a statement of `applicationName`'s sessions blocked by the session `pid` has waited
 * three times the 300 ms statement timeout of these tests, by PostgreSQL's own clock: a timed
 * statement would have been cancelled.
 */
async function blockedPastTimeout(client: pg.Client, pid: number, applicationName: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)) AND application_name = $2
       AND clock_timestamp() - query_start > interval '900 milliseconds'`,
    [pid, applicationName],
  );
  return rowCount !== null && rowCount > 0;
}

/**
 * Locks, in ACCESS EXCLUSIVE mode until the returned release() rolls back, the table `tenant`'s
 * rows of `table` are written to: the table itself on PostgreSQL; on Citus the tenant's shard, on
 * its worker, since a batch routed there writes the shard and a lock on the coordinator's table
 * does not reach it.
 */
async function lockWhereWritten(url: string, table: string, tenant: string) {
  let target = { url, relation: table };
  if (TEST_ON_CITUS) {
    const coordinator = new pg.Client({ connectionString: url });
    await coordinator.connect();
    try {
      const { rows } = await coordinator.query<{ shard: string; host: string; port: number }>(
        `SELECT shard_name($1::regclass, shardid) AS shard, nodename AS host, nodeport AS port
           FROM pg_dist_placement JOIN pg_dist_node USING (groupid)
          WHERE shardid = get_shard_id_for_distribution_column($1::regclass, $2::text)`,
        [table, tenant],
      );
      const [placement] = rows;
      assert.ok(placement !== undefined, `${table} has a shard for ${tenant}`);
      const worker = new URL(url);
      worker.hostname = placement.host;
      worker.port = String(placement.port);
      target = { url: worker.toString(), relation: placement.shard };
    } finally {
      await coordinator.end();
    }
  }
  const holder = new pg.Client({ connectionString: target.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    // Citus refuses statements on a shard unless told they are meant.
    if (TEST_ON_CITUS) await holder.query('SET LOCAL citus.enable_manual_changes_to_shards = on');
    await holder.query(`LOCK TABLE ${target.relation} IN ACCESS EXCLUSIVE MODE`);
  } catch (error) {
    await holder.end();
    throw error;
  }
  return {
    release: async () => {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

describe('DATABASE_STATEMENT_TIMEOUT', { skip: !TEST_DATABASE_URL }, () => {
  let schema: TestSchema;
  let api: TestServer;
  before(async () => {
    schema = await createTestSchema();
    api = await startTestServer({ DATABASE_URL: schema.url, DATABASE_STATEMENT_TIMEOUT: '300' });
  });
  after(async () => {
    await api.close();
    await schema.drop();
  });

  test('a statement that waits longer is cancelled and answered 503; nothing of the batch is kept', async () => {
    const lock = await lockWhereWritten(schema.url, 'communication_log_keys', 'tnt_t');
    try {
      const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_t', roles: ['audit:write'] });
      const blocked = await api.request('POST', '/v1/ingest/communication-logs', {
        token: writer,
        body: [{ id: 'log_slow', user_id: 'usr_1', channel: 'sms', recipient: '13800138000' }],
      });
      assert.equal(blocked.status, 503);
      assert.match(String(blocked.body.message), /longer than DATABASE_STATEMENT_TIMEOUT/);
    } finally {
      await lock.release();
    }
    const admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_t', roles: ['admin'] });
    const list = await api.request('GET', '/admin/communication/logs', { token: admin });
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 0);
  });

  test("migrations are not held to it: an instance waiting for another's migration longer than it still starts", async () => {
    // Another instance migrating (a backfill of millions of rows) holds the migration lock.
    const other = new pg.Client({ connectionString: schema.url });
    await other.connect();
    const starting = new PostgresStore({
      url: namedUrl(schema.url, 'sealog migration under test'),
      poolSize: 2,
      statementTimeoutMs: 300,
      unavailableTimeoutMs: 5_000,
    });
    try {
      await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const pid = await backendPid(other);
      let outcome = 'still waiting';
      const migrated = starting.migrate();
      migrated.then(
        () => (outcome = 'migrated'),
        (error: unknown) => (outcome = `failed: ${String(error)}`),
      );
      // Until its statement has waited for the lock three times the timeout by PostgreSQL's own
      // clock (a timeout would have cancelled it by then), or it ends, whichever comes first.
      await waitFor(
        'the migration to wait for the lock past the statement timeout',
        async () =>
          outcome !== 'still waiting' ||
          (await blockedPastTimeout(other, pid, 'sealog migration under test')),
      );
      assert.equal(outcome, 'still waiting');
      await other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      assert.deepEqual(await migrated, []);
    } finally {
      await other.end();
      await starting.close();
    }
  });

  test('nor is the partition upkeep of start-up: it waits for a lock longer than the timeout, then starts', async () => {
    // Another instance creating partitions holds their lock; this one starts 200 days later, when
    // months without partitions need theirs.
    const other = new pg.Client({ connectionString: schema.url });
    await other.connect();
    const lockKey = `sealog partitions ${schema.schema}`;
    const later = () => Date.now() + 200 * 86_400_000;
    const starting = new PostgresStore(
      {
        url: namedUrl(schema.url, 'sealog partitions under test'),
        poolSize: 2,
        statementTimeoutMs: 300,
        unavailableTimeoutMs: 5_000,
      },
      later,
    );
    try {
      await other.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
      const pid = await backendPid(other);
      let failed: unknown;
      const migrated = starting.migrate().catch((error: unknown) => (failed = error));
      // Until its partition DDL has waited for the lock three times the timeout by PostgreSQL's own
      // clock (a timed statement would have been cancelled by then), or it failed.
      await waitFor(
        'start-up to wait for the partition lock past the statement timeout',
        async () =>
          failed !== undefined || (await blockedPastTimeout(other, pid, 'sealog partitions under test')),
      );
      assert.equal(failed, undefined, `start-up failed while waiting: ${String(failed)}`);
      await other.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
      assert.deepEqual(await migrated, []);
    } finally {
      await other.end();
      await starting.close();
    }
  });

  test('start-up says a timeout when a statement was cancelled, and unreachable when nothing answers', async () => {
    const fresh = await createTestSchema();
    const url = new URL(fresh.url);
    // A statement_timeout the role or database imposes, as a managed database may.
    url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -c statement_timeout=1`);
    const settings = { poolSize: 1, statementTimeoutMs: 30_000, unavailableTimeoutMs: 5_000 };
    const timed = new PostgresStore({ url: url.toString(), ...settings });
    const closedPort = new URL(fresh.url);
    closedPort.port = '1';
    const unreachable = new PostgresStore({ url: closedPort.toString(), ...settings });
    try {
      await assert.rejects(timed.migrate(), /cancelled a migration statement/);
      await assert.rejects(unreachable.migrate(), /PostgreSQL at 127\.0\.0\.1:1 does not answer/);
    } finally {
      await timed.close();
      await unreachable.close();
      await fresh.drop();
    }
  });
});
