/**
 * How fast `sealog verify` recomputes leaves, on one core: builds a store of operate-log records in
 * the form a server writes them (sealed by the write path's own sealer, stored by the store's own
 * write operations or COPY, numbered and hashed into their logs' trees, a checkpoint of each log
 * signed and published), keeps it under bench/.data/ for reuse, then times
 * `taskset -c 0 node dist/cli/main.js verify --kind operate-log --json` a few times and prints
 * leaves/s, best and median. Standalone: not part of `npm run bench`. Run with --help for usage.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { IntegrityLog } from '../src/integrity/integrity-log.js';
import { startIntegrity } from '../src/integrity/integrity-runtime.js';
import type { LogRow } from '../src/kinds/log-table.js';
import { logTableNamed } from '../src/kinds/log-tables.js';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { writeOperations } from '../src/storage/sqlite/engine/write-operations.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY, benchSealing } from './bench-keys.js';
import { LoaderSealer } from './bench-sealer.js';
import { emptySqliteForLoading, loadPostgres } from './bulk-load.js';
import { operateLog } from './data-generator.js';

const HELP = `Usage: npx tsc -p tsconfig.build.json && npx tsx bench/verify-speed.ts [options]

Builds (once) a store of N operate-log records spread over the generator's tenants, in the form
a server writes them, with a signed and published checkpoint of each log; then times
\`taskset -c 0 node dist/cli/main.js verify --kind operate-log --json\` on it and prints leaves/s
(best and median of the runs) by the command's own time, the wall time and the CPU time of the
verify process (user + system: the figure of one core on a machine shared with other work; on
PostgreSQL the database server's work is not in it).

Options:
  --rows N             operate-log records (default 1000000)
  --stores LIST        sqlite, postgres or both, comma-separated (default sqlite)
  --database-url URL   the PostgreSQL database (default $TEST_DATABASE_URL); the store is loaded
                       into schema sealog_verify_<N> there (bench/bulk-load.ts loadPostgres: N
                       records of each of the three kinds; only the operate logs are verified)
  --runs K             timed runs per store (default 3)
  --baseline CLI       also time another build's dist/cli/main.js (an older checkout), run for
                       run with this one, so that both see the same load
  --dir DIR            where the SQLite store and the published checkpoints are kept
                       (default bench/.data/verify-speed)
  --help               this text
`;

/** Bumped whenever what is built changes, so that a stale store is never reused. */
const DATA_VERSION = 1;
const KIND = 'operate-log';
const CLI = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    stores: { type: 'string', default: 'sqlite' },
    'database-url': { type: 'string' },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    dir: { type: 'string', default: join(import.meta.dirname, '.data', 'verify-speed') },
    help: { type: 'boolean' },
  },
});

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Progress of a long load, to stderr. */
function progress(what: string, done: number, total: number, startedMs: number): void {
  const rate = Math.round(done / ((performance.now() - startedMs) / 1000));
  process.stderr.write(
    `\r  ${what}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${rate.toLocaleString('en')}/s)   `,
  );
  if (done === total) process.stderr.write('\n');
}

/** Checkpoint files under `directory`, counted. */
function checkpointFiles(directory: string): number {
  if (!existsSync(directory)) return 0;
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((name) =>
    name.endsWith('.checkpoint'),
  ).length;
}

/**
 * Waits until every log's tree covers all its leaves, then signs a checkpoint of each log and
 * waits until each is published in `checkpoints`: verify then compares roots with stored and
 * published checkpoints as it would on a server's store.
 */
async function signAll(integrity: IntegrityLog, checkpoints: string, dataDir: string): Promise<void> {
  const started = performance.now();
  for (let waited = false; ; waited = true) {
    const states = await integrity.logStates();
    const assigned = states.reduce((sum, state) => sum + state.assigned, 0);
    const hashed = states.reduce((sum, state) => sum + state.treeSize, 0);
    if (waited || hashed !== assigned) progress('leaves hashed into the trees', hashed, assigned, started);
    if (hashed === assigned) break;
    await sleep(1000);
  }
  rmSync(checkpoints, { recursive: true, force: true });
  const runtime = await startIntegrity(
    integrity,
    {
      dataKey: BENCH_DATA_KEY,
      sealedCacheBytes: 32 << 20,
      originPrefix: undefined,
      signingKey: BENCH_SIGNING_KEY,
      checkpointIntervalMs: 3_600_000,
      checkpointDir: checkpoints,
      checkpointUrl: undefined,
    },
    dataDir,
    {
      onAlarm: (message) => {
        throw new Error(message);
      },
      onError: (error) => {
        throw error;
      },
    },
  );
  try {
    const logs = (await integrity.logStates()).filter((state) => state.kind === KIND);
    for (const log of logs) await runtime.service.sign(log);
    while (checkpointFiles(checkpoints) < logs.length) await sleep(100);
    say(`  ${logs.length} ${KIND} logs signed and published`);
  } finally {
    await runtime.stop();
  }
}

/**
 * The SQLite store of `rows` operate-log records at `path`: created at the current schema, then
 * the records sealed as a server seals them and stored by the store's own write operations (which
 * number them and grow their logs' trees in the same transaction), 10,000 a transaction.
 */
async function buildSqlite(path: string, rows: number, checkpoints: string): Promise<void> {
  const db = await emptySqliteForLoading(path);
  try {
    const write = writeOperations(db);
    const sealer = new LoaderSealer();
    const table = logTableNamed('operate_logs');
    if (table === undefined) throw new Error('no log table operate_logs');
    const started = performance.now();
    const chunk = 10_000;
    for (let from = 0; from < rows; from += chunk) {
      const batch: LogRow[] = [];
      for (let i = from; i < Math.min(rows, from + chunk); i++) batch.push(operateLog(i, rows));
      const sealed = await sealer.seal(table, batch);
      db.transaction(() =>
        write({ type: 'insert-rows', table: table.table, rows: sealed.rows, subjectKeys: sealed.newKeys }),
      )();
      if ((from / chunk) % 10 === 9 || from + chunk >= rows) {
        progress('sqlite operate_logs', Math.min(rows, from + chunk), rows, started);
      }
    }
    db.exec('ANALYZE');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  // Opened as a server opens it: its search indexer and tree builder catch up before signing.
  const store = new SqliteStore(path, benchSealing());
  try {
    await store.migrate();
    await store.searchIndexer?.whenCaughtUp();
    await signAll(store.integrity, checkpoints, resolve(path, '..'));
  } finally {
    await store.close();
  }
  // The WAL folded into the file: every timed run reads the same file.
  const settled = new Database(path);
  settled.pragma('wal_checkpoint(TRUNCATE)');
  settled.close();
}

/** The SQLite store of `rows` records, built unless a complete one is there; its DATABASE_URL. */
async function sqliteStore(rows: number, dir: string): Promise<{ url: string; checkpoints: string }> {
  const path = join(dir, `sqlite-${rows}.db`);
  const checkpoints = join(dir, `sqlite-${rows}-checkpoints`);
  const marker = `${path}.built-v${DATA_VERSION}`;
  if (!existsSync(marker) || !existsSync(path)) {
    rmSync(marker, { force: true });
    say(`building ${path} (${rows.toLocaleString('en')} operate-log records)…`);
    const started = performance.now();
    await buildSqlite(path, rows, checkpoints);
    writeFileSync(marker, new Date().toISOString());
    say(`  built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return { url: `sqlite:${path}`, checkpoints };
}

/**
 * The PostgreSQL store: schema sealog_verify_<rows>, loaded by loadPostgres (which waits until the
 * trees cover every leaf), then a checkpoint of each operate log signed and published (once).
 */
async function postgresStore(
  databaseUrl: string,
  rows: number,
  dir: string,
): Promise<{ url: string; checkpoints: string }> {
  const schema = `sealog_verify_${rows}`;
  const checkpoints = join(dir, `postgres-${rows}-checkpoints`);
  const marker = join(dir, `postgres-${rows}.signed-v${DATA_VERSION}`);
  say(`postgres schema ${schema} (${rows.toLocaleString('en')} records of each kind)…`);
  const url = await loadPostgres(databaseUrl, schema, rows);
  if (!existsSync(marker) || checkpointFiles(checkpoints) === 0) {
    const store = new PostgresStore(
      { url, poolSize: 2, statementTimeoutMs: 3_600_000, unavailableTimeoutMs: 60_000 },
      () => Date.now(),
      benchSealing(),
    );
    try {
      await store.migrate();
      await signAll(store.integrity, checkpoints, dir);
    } finally {
      await store.close();
    }
    writeFileSync(marker, new Date().toISOString());
  }
  return { url, checkpoints };
}

interface VerifyRun {
  leaves: number;
  /** The command's own figure: from opening the store to its report. */
  commandSeconds: number;
  /** The whole process, start-up included. */
  wallSeconds: number;
  /** User and system CPU time of the verify process. */
  cpuSeconds: number;
  code: number | null;
}

/** Runs `sealog verify --json` of the CLI at `cli`, pinned to CPU 0, and reads its summary line. */
function timeVerify(
  cli: string,
  store: { url: string; checkpoints: string },
  timesFile: string,
): Promise<VerifyRun> {
  return new Promise((done, fail) => {
    const child = spawn(
      '/usr/bin/time',
      [
        '-o',
        timesFile,
        '-f',
        '%U %S %e',
        'taskset',
        '-c',
        '0',
        process.execPath,
        cli,
        'verify',
        '--kind',
        KIND,
        '--json',
        '--checkpoints',
        store.checkpoints,
      ],
      {
        // As bench/run.ts sets them for the servers it starts.
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: store.url,
          DATA_KEY: BENCH_DATA_KEY,
          SIGNING_KEY: BENCH_SIGNING_KEY,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const { summary } = JSON.parse(last) as { summary: { leaves: number; seconds: number } };
        if (code !== 0) say(`  verify exited ${code}: ${stdout.slice(0, 2000)}${stderr.slice(-2000)}`);
        const [user = NaN, system = NaN, wall = NaN] = readFileSync(timesFile, 'utf8')
          .trim()
          .split('\n')
          .at(-1)
          ?.split(/\s+/)
          .map(Number) ?? [NaN, NaN, NaN];
        done({
          leaves: summary.leaves,
          commandSeconds: summary.seconds,
          wallSeconds: wall,
          cpuSeconds: user + system,
          code,
        });
      } catch {
        fail(
          new Error(`verify exited ${code} without a summary: ${stdout.slice(-2000)}${stderr.slice(-2000)}`),
        );
      }
    });
  });
}

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

const rate = (leaves: number, seconds: number) => Math.round(leaves / seconds).toLocaleString('en');

/** Times `runs` runs of each build on `store`, prints each and then the best and median rates. */
async function timeRuns(
  name: string,
  store: { url: string; checkpoints: string },
  runs: number,
  dir: string,
): Promise<void> {
  const builds = [
    ...(values.baseline === undefined ? [] : [{ label: 'baseline', cli: resolve(values.baseline) }]),
    { label: 'this build', cli: CLI },
  ];
  const results = new Map<string, VerifyRun[]>(builds.map(({ label }) => [label, []]));
  for (let run = 1; run <= runs; run++) {
    for (const { label, cli } of builds) {
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      const result = await timeVerify(cli, store, join(dir, 'verify-time.txt'));
      results.get(label)?.push(result);
      process.stdout.write(
        `${name}, ${label}, run ${run}: ${result.leaves.toLocaleString('en')} leaves, exit ${result.code}; ` +
          `command ${result.commandSeconds.toFixed(2)} s (${rate(result.leaves, result.commandSeconds)} leaves/s), ` +
          `wall ${result.wallSeconds.toFixed(2)} s (${rate(result.leaves, result.wallSeconds)}), ` +
          `CPU ${result.cpuSeconds.toFixed(2)} s (${rate(result.leaves, result.cpuSeconds)}); load average before ${load}\n`,
      );
    }
  }
  for (const [label, done] of results) {
    const leaves = done[0]?.leaves ?? 0;
    const line = (what: string, seconds: number[]) =>
      `${what} ${rate(leaves, Math.min(...seconds))} best, ${rate(leaves, median(seconds))} median`;
    process.stdout.write(
      `${name}, ${label}: leaves/s by ` +
        [
          line(
            'command',
            done.map((run) => run.commandSeconds),
          ),
          line(
            'wall',
            done.map((run) => run.wallSeconds),
          ),
          line(
            'CPU',
            done.map((run) => run.cpuSeconds),
          ),
        ].join('; ') +
        '\n',
    );
  }
}

if (values.help === true) {
  process.stdout.write(HELP);
} else {
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`--rows: not a count: ${values.rows}`);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs: not a count: ${values.runs}`);
  const stores = values.stores.split(',').map((store) => store.trim());
  for (const store of stores) {
    if (store !== 'sqlite' && store !== 'postgres') throw new Error(`--stores: no store ${store}`);
  }
  const databaseUrl = values['database-url'] ?? process.env.TEST_DATABASE_URL;
  if (stores.includes('postgres') && databaseUrl === undefined) {
    throw new Error('--stores postgres needs --database-url (or TEST_DATABASE_URL)');
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.build.json first`);
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true });
  for (const name of stores) {
    const store =
      name === 'sqlite'
        ? await sqliteStore(rows, dir)
        : await postgresStore(databaseUrl as string, rows, dir);
    await timeRuns(name, store, runs, dir);
  }
}
