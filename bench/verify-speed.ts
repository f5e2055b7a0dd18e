/**
 * How fast `sealog verify` recomputes leaves: builds a SQLite store of realistic rows (sealed
 * personal fields, delivery-status transitions, signed and published checkpoints), then times the
 * CLI itself, pinned to one core with `taskset -c 0`, and prints leaves/s. Standalone: not part of
 * `npm run bench`.
 *
 *   npx tsc -p tsconfig.build.json && npx tsx bench/verify-speed.ts [--rows N] [--dir DIR] [--runs K]
 *     [--baseline PATH/dist/cli/main.js] [--postgres URL --schema NAME]
 *
 * --rows is per kind (communication, MFA and operate logs: 3 × N records, plus the transitions);
 * the store is built once per (N, data version) in DIR and reused. --baseline times another build
 * of the CLI (an older checkout) in turn with this one, run for run, so that both see the same
 * load. Each run reports the command's own seconds, the wall time and the CPU time of the process
 * (user + system, from /usr/bin/time): on a machine shared with other work, the CPU time is the
 * figure of one core. With --postgres, the store is also copied into schema NAME of that database
 * (`sealog copy`) and verified there: the server's CPU is then a second process beside the pinned
 * CLI, not counted in the CPU time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startIntegrity } from '../src/integrity/integrity-runtime.js';
import type { StatusTransition } from '../src/kinds/communication-log/communication-log-table.js';
import { applyMigrations } from '../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY, benchSealing } from './bench-keys.js';
import { communicationLog, mfaConfigAuditLog, operateLog } from './data-generator.js';

/** Bumped whenever what is built changes, so that a stale store is never reused. */
const DATA_VERSION = 1;
/** The schema version the raw rows go into: before sealing and the integrity log, which migrate adds. */
const RAW_SCHEMA_VERSION = 2;
/** Communication logs given transitions (pending → sent → delivered: two leaves each). */
const TRANSITION_LOGS = 5_000;
const ORIGIN = 'bench.invalid/verify-speed';
const CLI = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '340000' },
    dir: { type: 'string', default: join(import.meta.dirname, '.data', 'verify') },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    postgres: { type: 'string' },
    schema: { type: 'string', default: 'bench_verify_speed' },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const dir = resolve(values.dir);
const path = join(dir, `store-${rows}.db`);
const checkpoints = join(dir, `checkpoints-${rows}`);

const TABLES = [
  { table: 'communication_logs', make: communicationLog as (i: number, n: number) => object },
  { table: 'mfa_config_audit_logs', make: mfaConfigAuditLog as (i: number, n: number) => object },
  { table: 'operate_logs', make: operateLog as (i: number, n: number) => object },
] as const;

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Raw rows into the schema before sealing; migrate() then seals and numbers them as on an upgrade. */
function insertRawRows(): void {
  mkdirSync(dir, { recursive: true });
  for (const suffix of ['', '-wal', '-shm', '.search', '.search-wal', '.search-shm']) {
    rmSync(path + suffix, { force: true });
  }
  rmSync(checkpoints, { recursive: true, force: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  applyMigrations(db, RAW_SCHEMA_VERSION);
  for (const { table, make } of TABLES) {
    const columns = Object.keys(make(0, rows));
    const insert = db.prepare(
      `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(make(i, rows));
    })();
    say(`  ${table}: ${rows} rows`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Resolves once every log's tree covers all its leaves. */
async function treesCaughtUp(store: SqliteStore): Promise<void> {
  for (;;) {
    const states = await store.integrity.logStates();
    if (states.every((state) => state.treeSize === state.assigned)) return;
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** Seals and numbers the rows (migrate), signs a checkpoint of each log, adds transitions, signs again. */
async function buildStore(): Promise<void> {
  const started = performance.now();
  insertRawRows();
  const store = new SqliteStore(path, benchSealing());
  try {
    await store.migrate();
    say(`  sealed and numbered: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const integrity = await startIntegrity(
      store.integrity,
      {
        dataKey: BENCH_DATA_KEY,
        sealedCacheBytes: 32 << 20,
        originPrefix: ORIGIN,
        signingKey: BENCH_SIGNING_KEY,
        checkpointIntervalMs: 3_600_000,
        checkpointDir: checkpoints,
        checkpointUrl: undefined,
      },
      dir,
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
      const signAll = async () => {
        await treesCaughtUp(store);
        for (const log of await store.integrity.logStates()) await integrity.service.sign(log);
      };
      await signAll();
      // Pending logs of the data set, each moved to sent then delivered through the store's own path.
      const pending: { tenant_id: string; id: string }[] = [];
      for (let i = 0; i < rows && pending.length < TRANSITION_LOGS; i++) {
        const log = communicationLog(i, rows);
        if (log.status === 'pending') pending.push(log);
      }
      for (const [from, to] of [
        ['pending', 'sent'],
        ['sent', 'delivered'],
      ] as const) {
        for (let at = 0; at < pending.length; at += 500) {
          const applied = await Promise.all(
            pending.slice(at, at + 500).map((log, offset) => {
              const transition: StatusTransition = {
                tenant_id: log.tenant_id,
                log_id: log.id,
                from_status: from,
                to_status: to,
                error: null,
                response: to === 'sent' ? '{"Code":"OK","BizId":"' + String(at + offset) + '"}' : null,
                sent_at: to === 'sent' ? Date.UTC(2026, 10, 1) : null,
                changed_at: Date.UTC(2026, 10, 1) + (to === 'sent' ? 1 : 2),
              };
              return store.communicationLogs.applyTransition(transition);
            }),
          );
          if (applied.some((done) => !done)) throw new Error('a transition was not applied');
        }
      }
      await signAll();
    } finally {
      await integrity.stop();
    }
    say(`  store built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await store.close();
  }
}

interface VerifyRun {
  leaves: number;
  /** The command's own figure: from opening the store to its report. */
  commandSeconds: number;
  /** The whole process, start-up included. */
  wallSeconds: number;
  /** User and system CPU time of the process. */
  cpuSeconds: number;
  code: number | null;
}

/** Runs `sealog verify --json` of the CLI at `cli`, pinned to CPU 0, and reads its summary line. */
function timeVerify(cli: string, databaseUrl: string): Promise<VerifyRun> {
  const times = join(dir, 'verify-time.txt');
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(
      '/usr/bin/time',
      [
        '-o',
        times,
        '-f',
        '%U %S',
        'taskset',
        '-c',
        '0',
        process.execPath,
        cli,
        'verify',
        '--json',
        '--checkpoints',
        checkpoints,
      ],
      {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, DATA_KEY: BENCH_DATA_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const { summary } = JSON.parse(last) as { summary: { leaves: number; seconds: number } };
        if (code !== 0) say(`  verify exited ${code}: ${stdout.slice(0, 2000)}${stderr.slice(-2000)}`);
        const [user = NaN, system = NaN] = readFileSync(times, 'utf8').trim().split(/\s+/).map(Number);
        done({
          leaves: summary.leaves,
          commandSeconds: summary.seconds,
          wallSeconds,
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

async function timeRuns(store: string, databaseUrl: string): Promise<void> {
  const builds = [
    ...(values.baseline === undefined ? [] : [{ label: 'baseline', cli: resolve(values.baseline) }]),
    { label: 'this build', cli: CLI },
  ];
  for (let run = 1; run <= runs; run++) {
    for (const { label, cli } of builds) {
      const result = await timeVerify(cli, databaseUrl);
      const rate = (seconds: number) => Math.round(result.leaves / seconds).toLocaleString('en');
      process.stdout.write(
        `${store}, ${label}, run ${run}: ${result.leaves.toLocaleString('en')} leaves, exit ${result.code}; ` +
          `command ${result.commandSeconds.toFixed(2)} s (${rate(result.commandSeconds)} leaves/s), ` +
          `wall ${result.wallSeconds.toFixed(2)} s (${rate(result.wallSeconds)}), ` +
          `CPU ${result.cpuSeconds.toFixed(2)} s (${rate(result.cpuSeconds)} leaves/s of one core)\n`,
      );
    }
  }
}

/** The SQLite store copied into `schema` of the PostgreSQL database (once; marked by a table). */
async function copyToPostgres(url: string, schema: string): Promise<string> {
  const target = new URL(url);
  target.searchParams.set('options', `-c search_path=${schema}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const marker = `verify_speed_${rows}_v${DATA_VERSION}`;
    const done = await admin.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [
      schema,
      marker,
    ]);
    if (done.rowCount === 1) return target.toString();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    const copied = await new Promise<number | null>((finished, fail) => {
      const child = spawn(
        process.execPath,
        [CLI, 'copy', '--from', `sqlite:${path}`, '--to', target.toString()],
        {
          env: { PATH: process.env.PATH ?? '', DATA_KEY: BENCH_DATA_KEY, SIGNING_KEY: BENCH_SIGNING_KEY },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      child.on('error', fail);
      child.on('close', finished);
    });
    if (copied !== 0) throw new Error(`sealog copy exited ${copied}`);
    await admin.query(`CREATE TABLE ${schema}.${marker} (copied_at timestamptz DEFAULT now())`);
    return target.toString();
  } finally {
    await admin.end();
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.build.json first`);
const marker = `${path}.built-v${DATA_VERSION}`;
if (!existsSync(marker) || !existsSync(path)) {
  say(`building ${path} (${rows} rows per kind)…`);
  await buildStore();
  writeFileSync(marker, new Date().toISOString());
}
await timeRuns('sqlite', `sqlite:${path}`);
if (values.postgres !== undefined) {
  await timeRuns('postgres', await copyToPostgres(values.postgres, values.schema));
}
