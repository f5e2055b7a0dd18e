import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY } from './bench-keys.js';
import { BIG_TENANT } from './data-generator.js';
import { IngestBatches, runIngest } from './ingest-scenario.js';
import { BENCH_SECRET, mintToken, TUYA_CLIENT, TUYA_SECRET } from './measure.js';
import {
  checkAfterPurge,
  loadPostgresPurgeStore,
  loadSqlitePurgeStore,
  purgePlan,
  recordTransitions,
} from './purge-data.js';
import { hotReads, idlePhase, purgePhase } from './purge-phases.js';
import { writePurgeReport } from './purge-report.js';
import type { PurgeResults, PurgeStoreResults } from './purge-results.js';
import type { StoreTarget } from './read-ceiling.js';
import { machine } from './report.js';
import { startServerProcess } from './server-process.js';

const HELP = `Usage: npm run bench:purge [-- options]

The retention purge under load: on each store, a fresh store holding N rows older than their
retention (operate logs and communication logs with delivery transitions, 400-490 days old) and
a tenth as many recent ones; a sealog server (PURGE_INTERVAL=0) takes operate-log ingest paced
at half its best rate while the AuthMS admin list and the Tuya operate-log page are read one
after another, first for --seconds with no purge (idle), then while \`sealog purge\` (this
checkout's dist/, in a process of its own) removes the expired rows. Reports read p50/p99 idle
vs during the purge, the purge's rows/s, the ingest achieved, and checks the store afterwards.
Writes BENCHMARKS.md (between its purge markers) and benchmarks.json (key "purge"); --quick
writes bench/.data/purge-quick.md and purge-quick.json instead. Loading is never timed.

Options:
  --quick              a few minutes in all: 100,000 expired rows, 10 s phases
  --rows N             expired rows per store (default 2,000,000)
  --stores LIST        sqlite,postgres (default both)
  --seconds N          length of the idle phase (default 60); the purge phase lasts the purge
  --ingest-rate N      paced ingest, events/s (default: half the best rate, measured first)
  --database-url URL   PostgreSQL to use (default BENCH_DATABASE_URL, TEST_DATABASE_URL or
                       postgres://postgres@127.0.0.1:5432/test); data goes to schema sealog_bench_purge
  -h, --help           show this help
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rows: { type: 'string' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    seconds: { type: 'string' },
    'ingest-rate': { type: 'string' },
    'database-url': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
// The servers and `sealog purge` inherit these: they open the loaded stores (bench-keys.ts).
process.env.DATA_KEY = BENCH_DATA_KEY;
process.env.SIGNING_KEY = BENCH_SIGNING_KEY;

const quick = values.quick;
const rows = Number(values.rows ?? (quick ? 100_000 : 2_000_000));
const seconds = Number(values.seconds ?? (quick ? 10 : 60));
const givenRate = values['ingest-rate'] === undefined ? undefined : Number(values['ingest-rate']);
for (const value of [rows, seconds, givenRate ?? 1])
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`not a positive integer: ${value}`);
const databaseUrl =
  values['database-url'] ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const stores = values.stores.split(',').map((store) => {
  if (store !== 'sqlite' && store !== 'postgres') throw new Error(`--stores: no store ${store}`);
  return store;
});

const dataDir = 'bench/.data';
const loadAverage = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;

async function benchStore(store: 'sqlite' | 'postgres', port: number): Promise<PurgeStoreResults> {
  process.stderr.write(`\n== ${store}: ${rows.toLocaleString('en')} expired rows\n`);
  const nowMs = Date.now();
  const plan = purgePlan(rows, nowMs);
  const loadStarted = performance.now();
  let target: StoreTarget;
  let storeUrl: string;
  if (store === 'sqlite') {
    const path = `${dataDir}/purge/sqlite-purge.db`;
    await loadSqlitePurgeStore(path, plan);
    target = { store, path };
    storeUrl = `sqlite:${path}`;
  } else {
    storeUrl = await loadPostgresPurgeStore(databaseUrl, 'sealog_bench_purge', plan, nowMs);
    target = { store, url: storeUrl };
  }
  const serverEnv = {
    DATABASE_URL: storeUrl,
    JWT_SECRET: BENCH_SECRET,
    TUYA_CLIENTS: `${TUYA_CLIENT}:${TUYA_SECRET}:${BIG_TENANT}`,
    PURGE_INTERVAL: '0',
  };
  const server = await startServerProcess(serverEnv, port);
  try {
    const writer = await mintToken({ roles: ['audit:write'] }, 'svc_bench');
    process.stderr.write('  delivery receipts on expired communication logs…\n');
    const transitions = await recordTransitions(server, writer, plan, quick ? 200 : 2000);
    const loadSeconds = Math.round((performance.now() - loadStarted) / 1000);
    // Ingested ids are `op_p<base36 time><batch>_<row>`: longer than the loaded rows' 11 or 12 characters.
    const batches = new IngestBatches(rows, `p${Date.now().toString(36)}`);
    let best: number | null = null;
    if (givenRate === undefined) {
      process.stderr.write(`  best ingest rate: 4 connections, ${quick ? 3 : 10} s…\n`);
      const run = await runIngest(server, writer, batches, { connections: 4, seconds: quick ? 3 : 10 });
      best = run.eventsPerSecond;
      process.stderr.write(`    ${best.toLocaleString('en')} events/s\n`);
    }
    const ratePerSecond = givenRate ?? Math.round((best ?? 0) / 2);
    const ingest = { writer, batches, ratePerSecond };
    const reads = await hotReads(server);
    const before = loadAverage();
    process.stderr.write(`  idle: ingest at ${ratePerSecond} events/s and the hot reads, ${seconds} s…\n`);
    const idle = await idlePhase(server, reads, ingest, seconds);
    process.stderr.write(`  purge: sealog purge with the same ingest and reads…\n`);
    const during = await purgePhase(server, reads, ingest, { entry: 'dist/cli/main.js', env: serverEnv });
    const after = loadAverage();
    process.stderr.write(
      `    ${during.figures.removed.toLocaleString('en')} rows removed, ${during.figures.rowsPerSecond.toLocaleString('en')} rows/s\n`,
    );
    await server.stop();
    const checks = await checkAfterPurge(target, plan, during.figures.removed);
    if (!checks.ok) process.stderr.write(`  CHECKS FAILED: ${JSON.stringify(checks)}\n`);
    return {
      store,
      date: new Date().toISOString(),
      load: {
        kinds: plan.kinds.map(({ kind, expired, recent }) => ({ kind, expired, recent })),
        transitions,
        expiredFromMs: plan.expiredFromMs,
        expiredToMs: plan.expiredToMs,
        loadSeconds,
      },
      bestIngestEventsPerSecond: best,
      ingestTargetEventsPerSecond: ratePerSecond,
      idle,
      duringPurge: { reads: during.reads, ingest: during.ingest },
      purge: during.figures,
      checks,
      loadAverage: { before, after },
    };
  } finally {
    await server.stop();
  }
}

mkdirSync(`${dataDir}/purge`, { recursive: true });
execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
const results: PurgeResults = {
  date: new Date().toISOString(),
  command: `npm run bench:purge${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  expiredRows: rows,
  idleSeconds: seconds,
  machine: machine(),
  stores: [],
};
// A port of its own range, away from the main bench's (18,700 on).
let port = 18_800 + Math.floor(Math.random() * 100);
for (const store of stores) results.stores.push(await benchStore(store, port++));
const files = quick
  ? { markdown: `${dataDir}/purge-quick.md`, json: `${dataDir}/purge-quick.json` }
  : { markdown: 'BENCHMARKS.md', json: 'benchmarks.json', jsonKey: 'purge' as const };
await writePurgeReport(results, files);
const failed = results.stores.filter((result) => !result.checks.ok || result.purge.exitCode !== 0);
process.stdout.write(`\nwrote ${files.markdown}${failed.length > 0 ? ' (with FAILED checks)' : ''}\n`);
process.exit(failed.length > 0 ? 1 : 0);
