import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const CLI = ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts')];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the sealog CLI to completion with only `env` set (plus PATH). */
function run(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `sealog serve` and resolves once it logs the address it listens on. */
function serve(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`server did not start:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], log: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => {
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

describe('sealog CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('every command has --help', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['token', '--help'], ['migrate', '--help']]) {
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
    assert.match(
      first.stdout,
      /^applying 1: initial schema…\napplying 2: .*\napplying 3: tallies for list totals…\napplying 4: substring index in a file of its own…\napplied 4 migration\(s\)\n$/,
    );
    const second = await run(['migrate'], env);
    assert.match(second.stdout, /schema is up to date/);
  });

  test('with no key configured, serve generates a 0600 secret that `sealog token` uses', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'first-start', 'sealog.db')}` };
    const server = await serve([], env);
    try {
      assert.equal(statSync(join(dir, 'first-start', 'jwt-secret')).mode & 0o777, 0o600);
      assert.match(server.log(), /sealog token --sub/);
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
      assert.ok(!server.log().includes(token), 'the token never reaches the log');
      const other = await run(['token', '--sub', 'x', '--role', 'admin'], {
        ...env,
        JWT_SECRET: 'another-secret-that-is-32-bytes-long!!',
      });
      const refused = await fetch(`${server.url}/admin/communication/logs`, {
        headers: { authorization: `Bearer ${other.stdout.trim()}` },
      });
      assert.equal(refused.status, 401);
    } finally {
      assert.equal(await stop(server.child), 0);
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
    } finally {
      assert.equal(await stop(server.child), 0);
    }
  });
});
