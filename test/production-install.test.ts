import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { killGroup } from './helpers/cli-process.js';
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

/** Longest any step may take before it counts as hung: a guard against a hang, never an expectation. */
const STEP_LIMIT_MS = 20 * 60_000;

/**
 * Runs `command args` to its end, collecting its output; rejects only when it cannot start. The
 * command runs in a process group of its own (npm starts node-gyp, make and the compiler), which
 * is killed whole when it outlives STEP_LIMIT_MS: a hung step fails with what it printed.
 */
function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => {
      // What was still running says where it hung.
      const running = spawnSync('ps', ['-o', 'pid,etime,args', '-g', String(child.pid)], {
        encoding: 'utf8',
      });
      stderr += `\n[killed after ${STEP_LIMIT_MS} ms: ${command} ${args.join(' ')}; still running:\n${running.stdout}]`;
      killGroup(child.pid);
    }, STEP_LIMIT_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
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
        // better-sqlite3 compiled for this Node, as where no prebuilt binary can be fetched: the
        // install reaches the npm registry only, never waiting on a download from elsewhere.
        { cwd: app, env: { ...npmEnvironment(), npm_config_build_from_source: 'true' } },
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

    // A process group of its own: the primary and its workers end together if the test gives up.
    const server = spawn(bin, ['serve', '--port', '0'], {
      cwd: app,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    // 'close', not 'exit': the output is closed too, so no worker outlived the primary.
    server.on('close', (code, signal) => {
      ended = { code, signal };
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
      server.kill('SIGTERM');
      await waitFor('sealog serve and its workers to end after SIGTERM', () => ended !== undefined);
    } catch (error) {
      throw new Error(`${String(error)}\noutput of sealog serve:\n${output}`);
    } finally {
      killGroup(server.pid);
    }
    assert.equal(
      ended?.code,
      0,
      `sealog serve ended with ${String(ended?.code ?? ended?.signal)}:\n${output}`,
    );
  });
});
