/**
 * What an operator relies on: each request's id is honoured (when safe) or generated, echoed in
 * `X-Request-Id` and written in the request's log lines; `sealog --version` prints the version.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, serveCli, stopCli } from './helpers/cli-process.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({});
  });
  after(async () => {
    await api.close();
  });

  const idOf = async (path: string, id?: string) => {
    const response = await fetch(api.url + path, { headers: id === undefined ? {} : { 'x-request-id': id } });
    await response.arrayBuffer();
    return { status: response.status, id: response.headers.get('x-request-id') };
  };

  test('a safe X-Request-Id is echoed, on answers and errors alike', async () => {
    assert.deepEqual(await idOf('/healthz', 'trace-me-42'), { status: 200, id: 'trace-me-42' });
    assert.deepEqual(await idOf('/admin/communication/logs', 'lb:7f3a/1'), { status: 401, id: 'lb:7f3a/1' });
    assert.deepEqual(await idOf('/no/such/route', 'abc.DEF_9'), { status: 404, id: 'abc.DEF_9' });
  });

  test('without one, or with one that could break a log line, a fresh UUID is generated and echoed', async () => {
    const ids = [];
    for (const given of [undefined, 'two words', 'x'.repeat(129), 'new\u00e9line', '"quoted"']) {
      const { id } = await idOf('/healthz', given);
      assert.match(id ?? '', UUID, `given ${String(given)}`);
      ids.push(id);
    }
    assert.equal(new Set(ids).size, ids.length, 'each request its own id');
  });
});

describe('the command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-operations-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('sealog --version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v', 'version']) {
      const outcome = await runCli([flag]);
      assert.deepEqual([outcome.code, outcome.stdout], [0, `sealog ${version}\n`], flag);
    }
  });

  test("the request's id is in its log lines", async () => {
    const server = await serveCli([], {
      DATABASE_URL: `sqlite:${join(dir, 'sealog.db')}`,
      JWT_SECRET: 'operations-secret-that-is-at-least-32-bytes',
    });
    try {
      const response = await fetch(`${server.url}/healthz`, {
        headers: { 'x-request-id': 'find-me-in-the-log' },
      });
      assert.equal(response.headers.get('x-request-id'), 'find-me-in-the-log');
      await waitFor('the request logged with its id', () =>
        server.output().includes('"reqId":"find-me-in-the-log"'),
      );
    } finally {
      await stopCli(server);
    }
  });
});

describe('TRUST_PROXY: the client address behind a load balancer', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  /** The address the access log records for a request sent with `X-Forwarded-For`. */
  async function recordedAddress(settings: Record<string, string>): Promise<string> {
    const api = await startTestServer(settings);
    servers.push(api);
    const admin = await api.token({ tenant_id: 'tnt_proxy', roles: ['admin'] });
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    assert.equal(
      (await api.request('GET', '/admin/communication/logs', { token: admin, headers })).status,
      200,
    );
    let ip = '';
    await waitFor('the request in the access log', async () => {
      const page = await api.request('GET', '/admin/access-logs?size=50', { token: admin });
      const row = (page.body.items as { route: string; ip: string }[]).find(
        (item) => item.route === '/admin/communication/logs',
      );
      ip = row?.ip ?? '';
      return row !== undefined;
    });
    return ip;
  }

  test('by default X-Forwarded-For is not believed: the peer address is recorded', async () => {
    assert.equal(await recordedAddress({}), '127.0.0.1');
  });
  test("with the proxy's address trusted, the forwarded client address is recorded", async () => {
    assert.equal(await recordedAddress({ TRUST_PROXY: '127.0.0.1' }), '203.0.113.7');
  });
  test('an unusable TRUST_PROXY stops start-up naming the variable', async () => {
    await assert.rejects(startTestServer({ TRUST_PROXY: 'the-balancer' }), /TRUST_PROXY/);
  });
});
