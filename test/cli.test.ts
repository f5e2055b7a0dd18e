import assert from 'node:assert/strict';
import { knownMigrations } from '../src/storage/sqlite/migrations.js';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli as run, serveCli as serve, stopCli } from './helpers/cli-process.js';
import { waitFor } from './helpers/wait-for.js';

/** One value read from the SQLite file at `path`; undefined while it cannot be read (e.g. a torn copy). */
function readValue(path: string, sql: string, options: Database.Options = {}): unknown {
  try {
    const db = new Database(path, options);
    try {
      return db.prepare(sql).pluck().get();
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

// The commands run on SQLite files of their own whatever TEST_STORE says: the PostgreSQL pass of
// npm test would only run the same processes again.
const pass = process.env.TEST_STORE === 'postgres' ? 'runs on SQLite only, in the first pass' : false;

describe('sealog CLI', { skip: pass }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('every command has --help', async () => {
    const commands = [
      'serve',
      'token',
      'console-link',
      'migrate',
      'copy',
      'verify',
      'erase',
      'purge',
      'openapi',
    ];
    for (const args of [['--help'], ...commands.map((command) => [command, '--help'])]) {
      const { code, stdout } = await run(args);
      assert.equal(code, 0, args.join(' '));
      assert.match(stdout, /^Usage: sealog/, args.join(' '));
    }
    const serveHelp = await run(['serve', '--help']);
    for (const variable of [
      'PORT',
      'HOST',
      'DATABASE_URL',
      'JWT_SECRET',
      'JWT_PUBLIC_KEY',
      'JWT_JWKS_URL',
      'BODY_LIMIT',
    ]) {
      assert.match(serveHelp.stdout, new RegExp(variable));
    }
  });

  test('mistakes exit 2 with one line saying what to do', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['serve'],
        { PORT: 'abc' },
        /invalid configuration: PORT must be an integer from 0 to 65535 \(got "abc"\)/,
      ],
      [
        ['serve'],
        { DATABASE_URL: 'mysql://db/x' },
        /invalid configuration: DATABASE_URL must start with sqlite:/,
      ],
      [
        ['serve'],
        { JWT_SECRET: 'short' },
        /invalid configuration: JWT_SECRET must be at least 32 characters/,
      ],
      [
        ['serve', '--jwt-jwks-url', 'not a url'],
        {},
        /invalid configuration: JWT_JWKS_URL must be an http\(s\) URL/,
      ],
      [['serve', '--colour'], {}, /Unknown option '--colour'.*sealog serve --help/],
      [['token'], {}, /--sub is required/],
      [['frobnicate'], {}, /unknown command "frobnicate"/],
      [
        ['migrate', '--citus'],
        {},
        /--citus distributes a PostgreSQL store: set DATABASE_URL to the Citus coordinator/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const { code, stderr } = await run(args, {
        DATABASE_URL: `sqlite:${join(dir, 'mistakes.db')}`,
        ...env,
      });
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
      assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    }
  });

  test('migrate applies the schema once', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'migrate.db')}` };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const migrations = knownMigrations();
    assert.equal(
      first.stdout,
      migrations.map(({ version, name }) => `applying ${version}: ${name}…\n`).join('') +
        `applied ${migrations.length} migration(s)\n`,
    );
    const second = await run(['migrate'], env);
    assert.match(second.stdout, /schema is up to date/);
  });

  test('with no key configured, serve generates a 0600 secret that `sealog token` uses', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'first-start', 'sealog.db')}` };
    const server = await serve([], env);
    try {
      assert.equal(statSync(join(dir, 'first-start', 'jwt-secret')).mode & 0o777, 0o600);
      assert.match(server.output(), /sealog token --sub/);
      const minted = await run(
        ['token', '--sub', 'usr_admin', '--tenant', 'tnt_demo', '--role', 'admin'],
        env,
      );
      assert.equal(minted.code, 0, minted.stderr);
      const token = minted.stdout.trim();
      const response = await fetch(`${server.url}/admin/communication/logs`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      assert.ok(!server.output().includes(token), 'the token never reaches the log');
      const other = await run(['token', '--sub', 'x', '--role', 'admin'], {
        ...env,
        JWT_SECRET: 'another-secret-that-is-32-bytes-long!!',
      });
      const refused = await fetch(`${server.url}/admin/communication/logs`, {
        headers: { authorization: `Bearer ${other.stdout.trim()}` },
      });
      assert.equal(refused.status, 401);
    } finally {
      assert.equal((await stopCli(server)).code, 0);
    }
  });

  test('serve --demo loads thousands of logs a newcomer can query at once', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'demo', 'sealog.db')}`,
      JWT_SECRET: 'demo-secret-that-is-at-least-32-bytes',
    };
    const server = await serve(['--demo'], env);
    try {
      const minted = await run(
        ['token', '--sub', 'usr_admin', '--tenant', 'tnt_demo', '--role', 'admin'],
        env,
      );
      const headers = { authorization: `Bearer ${minted.stdout.trim()}` };
      for (const path of ['/admin/communication/logs', '/admin/mfa/config-audit-logs']) {
        const body = (await (await fetch(`${server.url}${path}`, { headers })).json()) as {
          total: number;
          items: unknown[];
        };
        assert.ok(body.total >= 1000, `${path} has demo data (total ${body.total})`);
        assert.equal(body.items.length, 20);
      }
      const chinese = await (
        await fetch(`${server.url}/admin/communication/logs?page_size=100`, { headers })
      ).text();
      assert.match(chinese, /[\u4e00-\u9fff]/, 'Chinese content');

      // The worker threads start from dist/ as well: the search indexer covers every operate log in
      // the search file, and the WAL checkpointer moves the logs into the database file itself.
      const live = join(dir, 'demo', 'sealog.db');
      const readOnly = { readonly: true, fileMustExist: true };
      const operateLogs = readValue(live, 'SELECT count(*) FROM operate_logs', readOnly);
      const lastSeq = readValue(live, 'SELECT max(seq) FROM operate_logs', readOnly);
      assert.ok(
        typeof operateLogs === 'number' && operateLogs >= 1000,
        `operate logs: ${String(operateLogs)}`,
      );
      await waitFor(
        'the search indexer to reach the last operate log',
        () =>
          readValue(`${live}.search`, 'SELECT indexed_through FROM search_index_state', readOnly) === lastSeq,
      );
      const copy = join(dir, 'demo', 'copy-without-wal.db');
      await waitFor('the WAL checkpointer to move the operate logs into the database file', () => {
        rmSync(`${copy}-wal`, { force: true });
        copyFileSync(live, copy);
        return readValue(copy, 'SELECT count(*) FROM operate_logs') === operateLogs;
      });
    } finally {
      assert.equal((await stopCli(server)).code, 0);
    }
  });
});
