/**
 * `sealog console-link` against a running `sealog serve` (both the built CLI, as a user runs them):
 * the printed link signs in once, the session works on every worker and ends on sign-out, and
 * neither the link's secret nor the session id reaches the server's log, even at trace level.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, serveCli, stopCli } from './helpers/cli-process.js';
import { TEST_SECRET } from './helpers/test-server.js';

// The commands run on SQLite files of their own whatever TEST_STORE says.
const pass = process.env.TEST_STORE === 'postgres' ? 'runs on SQLite only, in the first pass' : false;

describe('sealog console-link', { skip: pass }, () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-console-link-'));
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'sealog.db')}`,
      JWT_SECRET: TEST_SECRET,
      PURGE_INTERVAL: '0',
    };
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints a link that signs in once, on any worker; the log holds neither secret', async () => {
    const server = await serveCli([], { ...env, WORKERS: '2', LOG_LEVEL: 'trace' });
    let secret = '';
    let sessionId = '';
    let log: string;
    try {
      const minted = await runCli(
        [
          'console-link',
          '--sub',
          'usr_cli',
          '--tenant',
          'tnt_a',
          '--role',
          'admin',
          '--base-url',
          `${server.url}/`,
        ],
        env,
      );
      assert.equal(minted.code, 0, minted.stderr);
      const printed = minted.stdout.trim();
      assert.match(printed, /^http:\/\/127\.0\.0\.1:\d+\/console\/sign-in#link=[A-Za-z0-9_-]{43}$/);
      assert.ok(printed.startsWith(`${server.url}/console/sign-in#link=`));
      assert.match(minted.stderr, /usable once, until \d{4}-\d\d-\d\dT/);
      secret = new URL(printed).hash.slice('#link='.length);

      const signIn = () =>
        fetch(`${server.url}/v1/console/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: server.url },
          body: JSON.stringify({ link: secret }),
        });
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200);
      const cookie = (signedIn.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
      sessionId = cookie.slice('sealog_session='.length);
      assert.match(sessionId, /^[A-Za-z0-9_-]{43}$/);
      assert.equal((await signIn()).status, 401, 'the link works once');

      // Requests spread over both workers: each finds the session in the store.
      for (let i = 0; i < 6; i++) {
        const read = await fetch(`${server.url}/admin/communication/logs`, { headers: { cookie } });
        assert.equal(read.status, 200);
      }
      const refused = await fetch(`${server.url}/v1/retention/tnt_a`, {
        method: 'PUT',
        headers: { cookie, 'content-type': 'application/json', origin: 'https://evil.example' },
        body: '{}',
      });
      assert.equal(refused.status, 403);
      const out = await fetch(`${server.url}/v1/console/session`, {
        method: 'DELETE',
        headers: { cookie, origin: server.url },
      });
      assert.equal(out.status, 200);
      for (let i = 0; i < 4; i++) {
        assert.equal((await fetch(`${server.url}/v1/console/session`, { headers: { cookie } })).status, 401);
      }
    } finally {
      log = (await stopCli(server)).stdout;
    }
    assert.match(log, /"url":"\/v1\/console\/sessions"/, 'the requests were logged');
    assert.ok(!log.includes(secret), 'the link secret is not in the log');
    assert.ok(!log.includes(sessionId), 'the session id is not in the log');
  });

  test('defaults to http://localhost:PORT; refuses a link without the admin role', async () => {
    const minted = await runCli(
      ['console-link', '--sub', 'usr_root', '--role', 'admin', '--port', '9091'],
      env,
    );
    assert.equal(minted.code, 0, minted.stderr);
    assert.match(minted.stdout, /^http:\/\/localhost:9091\/console\/sign-in#link=[A-Za-z0-9_-]{43}\n$/);
    assert.match(minted.stderr, /platform admin/);

    const cases: [string[], RegExp][] = [
      [['--sub', 'usr_1', '--tenant', 'tnt_a'], /only admins use the console: add --role admin/],
      [['--sub', 'usr_1', '--role', 'audit:write'], /only admins use the console/],
      [['--role', 'admin'], /--sub is required/],
      [
        ['--sub', 'usr_1', '--role', 'admin', '--ttl', '0'],
        /--ttl must be a whole number of seconds from 1 to 86400/,
      ],
      [
        ['--sub', 'usr_1', '--role', 'admin', '--base-url', 'ftp://x'],
        /--base-url must be an http or https URL/,
      ],
    ];
    for (const [args, message] of cases) {
      const outcome = await runCli(['console-link', ...args], env);
      assert.equal(outcome.code, 2, args.join(' '));
      assert.equal(outcome.stdout, '');
      assert.match(outcome.stderr, message);
    }
  });
});
