import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from './helpers/wait-for.js';

/**
 * The production install README.md documents: `npm pack` in a built clone, then the tarball
 * installed without devDependencies in a directory of its own, and its bin started. It proves the
 * tarball holds everything sealog runs on (and nothing of the sources or tests), that dist/ needs
 * no TypeScript, and that the native SQLite driver installs from the registry.
 */

const ROOT = join(import.meta.dirname, '..');

// Installing runs once, on SQLite; the PostgreSQL pass of npm test would only install it again.
const pass = process.env.TEST_STORE === 'postgres' ? 'runs on SQLite only, in the first pass' : false;

/** How a child process ended, with everything it wrote. */
interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for nested npm runs: `npm test` exports its own run's lifecycle and package
 * variables (and the project directory as npm_config_local_prefix), which would make npm act on
 * this repository instead of the scratch directory. The user's npm configuration stays.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^npm_(lifecycle_|package_|command$|execpath$|node_execpath$|config_local_prefix$)/i.test(name),
    ),
  );
}

/** Runs `command args` to its end, collecting its output; rejects only when it cannot start. */
function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Asserts a process exited 0, showing its output when not. */
function assertSucceeded(outcome: Outcome, what: string): void {
  assert.equal(outcome.code, 0, `${what} failed:\n${outcome.stdout}\n${outcome.stderr}`);
}

describe('production install from the packed tarball', { skip: pass }, () => {
  let work: string;
  let tarball: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sealog-install-'));
    // The same check `npm start` runs: compiles only when src/ is newer than dist/.
    assertSucceeded(
      await run(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.js')], { cwd: ROOT }),
      'building dist/',
    );
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: npmEnvironment(),
    });
    assertSucceeded(packed, 'npm pack');
    const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
    assert.ok(manifest !== undefined, packed.stdout);
    tarball = join(work, manifest.filename);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('the tarball ships dist/, README.md and LICENSE, and no sources, tests, maps or build state', async () => {
    const listing = await run('tar', ['-tzf', tarball]);
    assertSucceeded(listing, 'tar -tzf');
    const files = listing.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/^package\//, ''));
    for (const file of ['dist/cli/main.js', 'dist/version.js', 'package.json', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    const unwanted = files.filter(
      (file) =>
        /^(src|test|bench|docs|data|\.ci|node_modules)\//.test(file) ||
        /\.(map|ts)$/.test(file) ||
        /^dist\/\./.test(file),
    );
    assert.deepEqual(unwanted, [], 'nothing but what runs');
  });

  test('installed with --omit=dev, `sealog serve` answers /healthz and stops on SIGTERM', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    // A project of its own, so npm does not look for one in a parent directory.
    writeFileSync(join(app, 'package.json'), '{ "name": "sealog-install-check", "private": true }\n');
    assertSucceeded(
      await run(
        'npm',
        ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball],
        // better-sqlite3 installs its prebuilt binary, or compiles one when none can be fetched.
        { cwd: app, env: npmEnvironment() },
      ),
      'npm install of the tarball',
    );
    const bin = join(app, 'node_modules', '.bin', 'sealog');
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'sealog', 'package.json'), 'utf8'),
    ) as { version: string };
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: `sqlite:${join(work, 'x.db')}` };

    const version = await run(bin, ['--version'], { cwd: app, env });
    assertSucceeded(version, 'sealog --version');
    assert.equal(version.stdout, `sealog ${installed.version}\n`);

    const server = spawn(bin, ['serve', '--port', '0'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      server.on('close', (code, signal) => {
        resolve({ code, signal });
      });
    });
    try {
      let url: string | undefined;
      await waitFor('the installed sealog to log the address it listens on', () => {
        if (server.exitCode !== null) throw new Error(`sealog serve exited early:\n${output}`);
        url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        return url !== undefined;
      });
      await waitFor('/healthz to answer 200', async () => {
        const response = await fetch(`${String(url)}/healthz`).catch(() => undefined);
        await response?.arrayBuffer();
        return response?.status === 200;
      });
    } finally {
      server.kill('SIGTERM');
    }
    const { code, signal } = await exited;
    assert.equal(code, 0, `sealog serve ended with ${String(code ?? signal)}:\n${output}`);
  });
});
