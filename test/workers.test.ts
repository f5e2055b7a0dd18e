import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { ACCESS_LOG_TABLE } from '../src/kinds/access-log/access-log-table.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { killGroup, serveCli, startCli, stopCli, type ServingCli } from './helpers/cli-process.js';
import { parseMasterKeys } from '../src/sealing/master-keys.js';
import { send, signedRequest } from './helpers/tuya-signing.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const SECRET = 'workers-secret-of-at-least-32-bytes!!';
const CLIENT = 'workersclient0001';
const CLIENT_SECRET = 'workers-client-secret';
const TENANT = 'tnt_workers';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';

/** The process ids of `pid`'s children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((entry) => entry !== '')
    .map(Number);
}

/** The nice value of process `pid` (field 19 of /proc/<pid>/stat). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_workers')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** The CLI runs on its own SQLite file: once, in the first pass of npm test. */
const skip = process.env.TEST_STORE === 'postgres' ? 'runs on SQLite only, in the first pass' : false;

/** The master key of the test's store (DATA_KEY). */
const DATA_KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('WORKERS=2 on one SQLite file: workers serve, the primary holds the one writer', { skip }, () => {
  let dir: string;
  let cli: ServingCli;
  let metricsUrl: string;
  let admin: string;
  let writer: string;
  const get = (path: string) => fetch(`${cli.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-workers-'));
    cli = await serveCli([], {
      WORKERS: '2',
      DATABASE_URL: `sqlite:${join(dir, 'sealog.db')}`,
      JWT_SECRET: SECRET,
      METRICS_PORT: '0',
      TUYA_CLIENTS: `${CLIENT}:${CLIENT_SECRET}:${TENANT}`,
      // Workers seal and open with DATA_KEY too (they once fell back to a generated key and
      // refused to start): every process of a store needs the same master keys.
      DATA_KEY,
      // The stream's receiver listens on loopback.
      STREAM_PRIVATE_DESTINATIONS: 'allow',
    });
    await waitFor('both workers and the metrics listener', () => /2 workers listening/.test(cli.output()));
    metricsUrl = /metrics at (http:\/\/[^\s"]+)\/metrics/.exec(cli.output())?.[1] ?? '';
    admin = await token({ tenant_id: TENANT, roles: ['admin'] });
    writer = await token({ tenant_id: TENANT, roles: ['audit:write'] });
  });
  after(async () => {
    if (cli.child.exitCode === null) await stopCli(cli, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('two worker processes run beside the primary, at a lower priority than its writer', () => {
    const primary = cli.child.pid ?? 0;
    const workers = childrenOf(primary);
    assert.equal(workers.length, 2);
    // They yield to the primary's writer thread when the cores are short (nice 5, or the primary's if higher).
    for (const worker of workers) assert.equal(niceOf(worker), Math.max(niceOf(primary), 5));
  });

  test('concurrent batches through any worker are all stored once, and read back by every worker', async () => {
    const batches = Array.from({ length: 20 }, (_, batch) =>
      Array.from({ length: 50 }, (_, n) => ({
        id: `op_${batch}_${n}`,
        operate_type: 'device_control',
        operate_content: `turned lamp ${batch}-${n} on`,
        record_time: 1_790_000_000_000 + batch * 100 + n,
      })),
    );
    const answers = await Promise.all(
      [...batches, batches[0] ?? []].map((records) =>
        fetch(`${cli.url}/v1/ingest/operate-logs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
          body: JSON.stringify(records),
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      answers.map(() => 200),
    );
    // Signed Tuya reads on fresh connections land on both workers; each remembers its nonce
    // through the primary, and a replay is refused whichever worker gets it.
    const issued = await send(
      cli.url,
      signedRequest('/v1.0/token', { clientId: CLIENT, secret: CLIENT_SECRET, query: { grant_type: '1' } }),
    );
    const accessToken = (issued.body.result as { access_token: string }).access_token;
    for (let n = 0; n < 6; n++) {
      const request = signedRequest(OPERATE_LOGS, {
        clientId: CLIENT,
        secret: CLIENT_SECRET,
        accessToken,
        nonce: `nonce-${n}`,
        query: { size: '100', key_words: 'lamp 7-4' },
      });
      const page = await send(cli.url, request);
      assert.equal(page.body.success, true, JSON.stringify(page.body));
      const list = (page.body.result as { list: { id: string }[] }).list.map((row) => row.id);
      assert.deepEqual(list.sort(), [
        'op_7_4',
        'op_7_40',
        'op_7_41',
        'op_7_42',
        'op_7_43',
        'op_7_44',
        'op_7_45',
        'op_7_46',
        'op_7_47',
        'op_7_48',
        'op_7_49',
      ]);
      const replay = await send(cli.url, request);
      assert.equal(replay.body.success, false);
      assert.match(String(replay.body.msg), /nonce/);
    }
    const text = await metrics();
    assert.match(text, /^sealog_ingested_events_total\{kind="operate_logs"\} 1000$/m);
    assert.match(
      text,
      /^sealog_http_requests_total\{method="POST",route="\/v1\/ingest\/operate-logs",status_code="200"\} 21$/m,
    );
  });

  test('the primary delivers a stream set up through a worker: every event once, in order; health counted once', async () => {
    const tenant = 'tnt_streams';
    const streamAdmin = await token({ tenant_id: tenant, roles: ['admin'] });
    const streamWriter = await token({ tenant_id: tenant, roles: ['audit:write'] });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${cli.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${path.startsWith('/v1/ingest') ? streamWriter : streamAdmin}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const answer = (await response.json()) as { stream?: { lag: { events: number } } };
      assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    const ingest = (first: number, count: number) =>
      call(
        'POST',
        '/v1/ingest/operate-logs',
        Array.from({ length: count }, (_, n) => ({
          id: `op_stream_${first + n}`,
          operate_type: 'login',
          operate_content: `door ${first + n}`,
        })),
      );
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const receiver = await WebhookReceiver.start(secret);
    try {
      await call('PUT', '/v1/streams/siem', {
        destination: { type: 'webhook', url: receiver.url, secrets: [secret] },
        kinds: ['operate-log'],
        batch: { max_events: 5, max_wait_ms: 0 },
      });
      for (let batch = 0; batch < 3; batch++) await ingest(batch * 4, 4);
      await receiver.waitForEvents(12);
      assert.deepEqual(
        receiver.events.map((event) => event.leaf_index),
        Array.from({ length: 12 }, (_, n) => n),
        'every event once, in leaf order',
      );
      assert.deepEqual(
        receiver.events.map((event) => event.record_id).sort(),
        Array.from({ length: 12 }, (_, n) => `op_stream_${n}`).sort(),
      );
      // Paused with three events behind: the lag is reported once, not once per process.
      await call('POST', '/v1/streams/siem/pause');
      await ingest(12, 3);
      await waitFor('the paused stream to be 3 events behind', async () => {
        const { stream } = await call('GET', '/v1/streams/siem');
        return stream?.lag.events === 3;
      });
      // The gauges read the store at most once a second: a scrape may show the last second's.
      const lagLine = /^sealog_stream_lag_events\{owner="tnt_streams",stream="siem"\} (\d+)$/m;
      await waitFor(
        'the lag gauge to show the pause',
        async () => lagLine.exec(await metrics())?.[1] === '3',
      );
      assert.match(
        await metrics(),
        /^sealog_stream_events_delivered_total\{owner="tnt_streams",stream="siem"\} 12$/m,
      );
      // Resumed through a worker, the primary delivers what waited.
      await call('POST', '/v1/streams/siem/resume');
      await receiver.waitForEvents(15);
      assert.deepEqual(
        receiver.events.slice(12).map((event) => [event.leaf_index, event.record_id]),
        [
          [12, 'op_stream_12'],
          [13, 'op_stream_13'],
          [14, 'op_stream_14'],
        ],
      );
    } finally {
      await receiver.close();
    }
  });

  test('a worker that dies is replaced, and requests keep being answered', async () => {
    const primary = cli.child.pid ?? 0;
    const [victim] = childrenOf(primary);
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    await waitFor('a new worker to replace the dead one', () => {
      const children = childrenOf(primary);
      return children.length === 2 && !children.includes(victim);
    });
    await waitFor('the new worker to answer', async () => (await get('/readyz')).status === 200);
    for (let n = 0; n < 4; n++) assert.equal((await get('/admin/access-logs?size=1')).status, 200);
  });

  test('SIGTERM stops the workers, then the store: every acknowledged row and access log is in the file', async () => {
    const reads = 5;
    for (let n = 0; n < reads; n++)
      assert.equal((await get(`/admin/communication/logs?page_size=1&page=${n + 1}`)).status, 200);
    const outcome = await stopCli(cli);
    assert.equal(outcome.code, 0, cli.output());
    const store = new SqliteStore(join(dir, 'sealog.db'), {
      masterKeys: parseMasterKeys(DATA_KEY, 'the test'),
    });
    try {
      await store.migrate();
      const page = await store.operateLogs.page({ tenantId: TENANT }, undefined, 2000);
      assert.equal(page.length, 1000);
      // The access logs a worker still held were written through the primary before it closed.
      const accessed = await store.rows(ACCESS_LOG_TABLE).page([], undefined, 10_000);
      const listReads = accessed.filter((row) => row.route === '/admin/communication/logs');
      assert.equal(listReads.length, reads);
    } finally {
      await store.close();
    }
  });
});

describe('WORKERS=2: workers that cannot start', { skip }, () => {
  test('a worker that fails to start exits and is restarted, and SIGTERM still ends the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealog-workers-failing-'));
    try {
      // An empty JWT secret file: every worker refuses to start (the primary keeps restarting them).
      writeFileSync(join(dir, 'jwt-secret'), '', { mode: 0o600 });
      const cli = startCli(['serve', '--port', '0'], {
        WORKERS: '2',
        DATABASE_URL: `sqlite:${join(dir, 'x.db')}`,
      });
      try {
        // A third failure is a restarted worker's: the primary outlived both first ones.
        await waitFor('the workers to fail and be restarted', () => {
          if (cli.child.exitCode !== null) throw new Error(`the primary exited:\n${cli.output()}`);
          return (cli.output().match(/a worker exited; starting another/g) ?? []).length >= 3;
        });
        assert.match(cli.output(), /Zero-length key is not supported/);
        assert.match(cli.output(), /"code":1,"signal":null,"msg":"a worker exited/, 'it exits as failed');
        const outcome = await stopCli(cli);
        assert.equal(outcome.code, 0, `${JSON.stringify(outcome)}\n${cli.output()}`);
      } finally {
        killGroup(cli.child.pid);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('workers generating the JWT secret together use the same one', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'sealog-workers-secret-'));
      try {
        const cli = await serveCli([], { WORKERS: '2', DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
        try {
          await waitFor('both workers to listen', () => /2 workers listening/.test(cli.output()));
          assert.doesNotMatch(cli.output(), /a worker exited/);
          const secret = readFileSync(join(dir, 'jwt-secret'), 'utf8').trim();
          assert.equal(secret.length, 43, 'a whole 32-byte base64url secret');
          const signed = await new SignJWT({ tenant_id: 'tnt_x', roles: ['admin'] })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('usr_x')
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(secret));
          // Each request may land on either worker: both verify with the file's secret.
          for (let n = 0; n < 6; n++) {
            const response = await fetch(`${cli.url}/admin/communication/logs?page_size=1`, {
              headers: { authorization: `Bearer ${signed}` },
            });
            assert.equal(response.status, 200);
          }
          assert.equal((await stopCli(cli)).code, 0, cli.output());
        } finally {
          killGroup(cli.child.pid);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
