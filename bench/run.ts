import { BENCH_DATA_KEY, BENCH_SIGNING_KEY } from './bench-keys.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadPostgres, loadSqlite, resetPostgres, resetSqlite } from './bulk-load.js';
import { integrityScenario, timeVerify } from './integrity-scenario.js';
import { searchFilePath } from '../src/storage/sqlite/search/search-index-file.js';
import { BIG_TENANT } from './data-generator.js';
import {
  IngestBatches,
  postgresRawCeiling,
  runIngest,
  sqliteRawCeiling,
  type IngestRun,
} from './ingest-scenario.js';
import { BENCH_SECRET, mintToken, TUYA_CLIENT, TUYA_SECRET } from './measure.js';
import { hottestEndpoints } from './hot-endpoints.js';
import { queryCatalogue, timeGroup } from './query-scenarios.js';
import type { StoreTarget } from './read-ceiling.js';
import { machine, upgradeStoreResults, writeReport, type BenchResults, type StoreResults } from './report.js';
import { startServerProcess } from './server-process.js';

const HELP = `Usage: npm run bench [-- options]

Loads realistic audit data (outside any timed window), starts sealog on each store and measures
ingest over HTTP against the raw driver ceiling, paging, filtered queries, key_words searches,
mixed load and the hottest read endpoints against the raw ceiling of their statements. Writes BENCHMARKS.md (between its result markers) and
benchmarks.json; --quick writes bench/.data/quick.md and quick.json instead.

Options:
  --quick              about a minute in all: 100,000 rows per kind, short runs
  --rows N             rows per log kind (default 10,000,000)
  --stores LIST        sqlite,postgres (default both)
  --seconds N          length of each ingest run (default 60)
  --iterations N       timed requests per query (default 300)
  --database-url URL   PostgreSQL to use (default BENCH_DATABASE_URL, TEST_DATABASE_URL or
                       postgres://postgres@127.0.0.1:5432/test); data goes to schema sealog_bench_<rows>
  --load-only          load (or find) the data of each store and stop: nothing is timed
  --queries-only       time only the idle queries (paging, filters, key_words, histograms) of each
                       store, print them and write bench/.data/queries-<store>-<rows>.json; no
                       ingest, so the loaded data is left as it was and BENCHMARKS.md untouched
  --baseline DIR       another sealog checkout with dist/cli/main.js built (e.g. a git worktree of an
                       older commit): scenario 6 also runs each endpoint against a server started from
                       it on the same data and env, alternating with this checkout's server (never
                       both at once), and reports both next to the same raw ceiling
  --baseline-database-url URL
                       the baseline serves data it loaded itself (run \`npm run bench -- --load-only
                       --database-url URL\` in its checkout first), for a baseline that cannot open
                       this build's store: PostgreSQL from URL, SQLite from DIR/bench/.data
  -h, --help           show this help
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rows: { type: 'string' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    seconds: { type: 'string' },
    iterations: { type: 'string' },
    'database-url': { type: 'string' },
    'load-only': { type: 'boolean', default: false },
    'queries-only': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'baseline-database-url': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
// Every server the benchmark starts (they inherit the environment) seals and signs with the
// benchmark's fixed keys, as the stores it opens itself do (bench-keys.ts).
process.env.DATA_KEY = BENCH_DATA_KEY;
process.env.SIGNING_KEY = BENCH_SIGNING_KEY;

const quick = values.quick;
const rows = Number(values.rows ?? (quick ? 100_000 : 10_000_000));
const seconds = Number(values.seconds ?? (quick ? 3 : 60));
const iterations = Number(values.iterations ?? (quick ? 20 : 300));
const connectionCounts = quick ? [1, 4] : [1, 2, 4, 8];
const databaseUrl =
  values['database-url'] ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const stores = values.stores.split(',') as ('sqlite' | 'postgres')[];
for (const value of [rows, seconds, iterations])
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`not a positive integer: ${value}`);

const baselineCheckout = values.baseline === undefined ? undefined : resolve(values.baseline);
if (baselineCheckout !== undefined && !existsSync(`${baselineCheckout}/dist/cli/main.js`)) {
  throw new Error(`--baseline ${values.baseline}: no dist/cli/main.js there (build that checkout first)`);
}

const baselineDatabaseUrl = values['baseline-database-url'];
if (baselineDatabaseUrl !== undefined && baselineCheckout === undefined) {
  throw new Error('--baseline-database-url needs --baseline DIR');
}

const dataDir = 'bench/.data';
mkdirSync(dataDir, { recursive: true });

async function benchStore(store: 'sqlite' | 'postgres', port: number): Promise<StoreResults | undefined> {
  process.stderr.write(`\n== ${store}: ${rows.toLocaleString('en')} rows per log kind\n`);
  const sqlitePath = `${dataDir}/sqlite-${rows}.db`;
  let storeUrl: string;
  let indexLag: (() => number) | undefined;
  let durability: string;
  if (store === 'sqlite') {
    await loadSqlite(sqlitePath, rows);
    storeUrl = `sqlite:${sqlitePath}`;
    const reader = new Database(sqlitePath, { readonly: true });
    reader.prepare('ATTACH ? AS search').run(searchFilePath(sqlitePath));
    const lag = reader.prepare(
      'SELECT (SELECT coalesce(max(seq), 0) FROM operate_logs) - (SELECT indexed_through FROM search.search_index_state)',
    );
    indexLag = () => lag.pluck().get() as number;
    durability = 'WAL, synchronous=FULL (an acknowledged batch survives power loss)';
  } else {
    storeUrl = await loadPostgres(databaseUrl, `sealog_bench_${rows}`, rows);
    await resetPostgres(storeUrl);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const setting = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    await client.end();
    durability = `synchronous_commit=${setting.rows[0]?.synchronous_commit ?? '?'} (committed before acknowledged)`;
  }
  if (values['load-only']) return undefined;
  const serverEnv = {
    DATABASE_URL: storeUrl,
    JWT_SECRET: BENCH_SECRET,
    TUYA_CLIENTS: `${TUYA_CLIENT}:${TUYA_SECRET}:${BIG_TENANT}`,
  };
  const target: StoreTarget = store === 'sqlite' ? { store, path: sqlitePath } : { store, url: storeUrl };
  const baselineEnv = await baselineServerEnv(store, serverEnv);
  let server = await startServerProcess(serverEnv, port);
  try {
    process.stderr.write('  queries (idle)…\n');
    const catalogue = await queryCatalogue(server.url);
    const paging = await timeGroup(catalogue.paging, iterations);
    const filters = await timeGroup(catalogue.filters, iterations);
    const keywords = await timeGroup(catalogue.keywords, iterations);
    const histograms = await timeGroup(catalogue.histograms, iterations);
    await server.stop();
    if (values['queries-only']) {
      const file = `${dataDir}/queries-${store}-${rows}.json`;
      writeFileSync(
        file,
        `${JSON.stringify({ date: new Date().toISOString(), store, rows, paging, filters, keywords, histograms }, null, 2)}\n`,
      );
      process.stderr.write(`  wrote ${file}\n`);
      return undefined;
    }
    // Before any ingest, on the loaded data alone; each run starts a server of its own.
    process.stderr.write('  hottest read endpoints: autocannon, then the raw ceiling…\n');
    const hottest = await hottestEndpoints({
      current: { label: 'current', start: () => startServerProcess(serverEnv, port) },
      baseline:
        baselineCheckout === undefined
          ? undefined
          : {
              label: 'baseline',
              start: () => startServerProcess(baselineEnv, port, { checkout: baselineCheckout }),
            },
      target,
      seconds: quick ? 3 : 15,
      warmupSeconds: quick ? 1 : 3,
      floorPort: port,
    });
    // On the same port, so the catalogue's requests (their Tuya token is in the store) still serve.
    server = await startServerProcess(serverEnv, port);
    // A platform writer: batches mix tenants, as a central log shipper's do.
    const writer = await mintToken({ roles: ['audit:write'] }, 'svc_bench');
    const batches = new IngestBatches(rows, `b${Date.now().toString(36)}`);
    const ingest: IngestRun[] = [];
    const baselineIngest: IngestRun[] = [];
    const ingestOptions = (connections: number) => ({
      connections,
      seconds,
      ...(indexLag ? { indexLag } : {}),
    });
    // The baseline's run on a server of its own, this build's server stopped meanwhile (one port).
    const runBaselineIngest = async (connections: number) => {
      if (baselineCheckout === undefined) return;
      await server.stop();
      process.stderr.write(`  ingest over HTTP (baseline), ${connections} connection(s), ${seconds} s…\n`);
      const baseline = await startServerProcess(baselineEnv, port, { checkout: baselineCheckout });
      try {
        baselineIngest.push(await runIngest(baseline, writer, batches, ingestOptions(connections)));
      } finally {
        await baseline.stop();
      }
      process.stderr.write(`    ${baselineIngest.at(-1)?.eventsPerSecond} events/s\n`);
      server = await startServerProcess(serverEnv, port);
    };
    for (const [index, connections] of connectionCounts.entries()) {
      // Every run adds its rows, so the second run of a pair sees a larger table: the baseline goes
      // first at every other connection count, so that neither build is always the second.
      const baselineFirst = index % 2 === 0;
      if (baselineFirst) await runBaselineIngest(connections);
      process.stderr.write(`  ingest over HTTP, ${connections} connection(s), ${seconds} s…\n`);
      ingest.push(await runIngest(server, writer, batches, ingestOptions(connections)));
      process.stderr.write(`    ${ingest.at(-1)?.eventsPerSecond} events/s\n`);
      if (!baselineFirst) await runBaselineIngest(connections);
    }
    const best = Math.max(...ingest.map((run) => run.eventsPerSecond));
    process.stderr.write(`  mixed: ingest at ${Math.round(best / 2)} events/s while querying…\n`);
    const stop = { requested: false };
    const background = runIngest(server, writer, batches, {
      connections: 2,
      seconds: 3600,
      ratePerSecond: best / 2,
      stop,
    });
    const mixedFilters = await timeGroup(catalogue.filters, iterations);
    const mixedKeywords = await timeGroup(catalogue.keywords, iterations);
    stop.requested = true;
    const mixedIngest = await background;
    process.stderr.write('  integrity: sequencing lag, signing, proofs…\n');
    const integrity = await integrityScenario({
      server,
      target,
      writer,
      batches,
      count: quick ? 20 : 200,
      iterations,
      loadedRows: rows,
    });
    await server.stop();
    process.stderr.write('  raw ceiling…\n');
    // 50 million rows past the loaded data: 42 hours of event times after it, beyond any HTTP run's.
    const rawRows = { firstRow: rows + 50_000_000, loadedRows: rows };
    const raw =
      store === 'sqlite'
        ? await sqliteRawCeiling(sqlitePath, rawRows, seconds)
        : await postgresRawCeiling(storeUrl, rawRows, seconds, 4);
    // Communication logs: no run adds to them, so they verify clean however often the bench ran.
    process.stderr.write('  sealog verify --kind communication-log…\n');
    const verify = await timeVerify(storeUrl, 'communication-log');
    process.stderr.write(`    ${verify.leavesPerSecond} leaves/s\n`);
    return {
      store,
      date: new Date().toISOString(),
      durability,
      paging,
      filters,
      keywords,
      histograms,
      hottest,
      ingest,
      ...(baselineIngest.length > 0 ? { baselineIngest } : {}),
      raw,
      integrity,
      verify,
      mixed: {
        ingestEventsPerSecond: mixedIngest.eventsPerSecond,
        filters: mixedFilters,
        keywords: mixedKeywords,
      },
    };
  } finally {
    await server.stop();
  }
}

/**
 * The environment of the baseline's servers: this build's, or with --baseline-database-url the
 * data the baseline loaded itself (reset as this build's is).
 */
async function baselineServerEnv(
  store: 'sqlite' | 'postgres',
  serverEnv: Record<string, string>,
): Promise<Record<string, string>> {
  if (baselineDatabaseUrl === undefined || baselineCheckout === undefined) return serverEnv;
  if (store === 'sqlite') {
    const path = `${baselineCheckout}/bench/.data/sqlite-${rows}.db`;
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: run \`npm run bench -- --load-only\` in ${baselineCheckout} first`,
      );
    }
    resetSqlite(path);
    return { ...serverEnv, DATABASE_URL: `sqlite:${path}` };
  }
  const url = new URL(baselineDatabaseUrl);
  url.searchParams.set('options', `-c search_path=sealog_bench_${rows}`);
  await resetPostgres(url.toString());
  return { ...serverEnv, DATABASE_URL: url.toString() };
}

/** The short commit of a checkout, `+dirty` when tracked files changed (read-only git; a node_modules link is no change). */
function commitOf(checkout: string): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8' }).trim();
    return (
      git('rev-parse', '--short', 'HEAD') +
      (git('status', '--porcelain', '--untracked-files=no') === '' ? '' : '+dirty')
    );
  } catch {
    return 'unknown commit';
  }
}

execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
const results: BenchResults = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  rowsPerKind: rows,
  ingestSeconds: seconds,
  iterations,
  machine: machine(),
  ...(baselineCheckout === undefined
    ? {}
    : {
        baseline: {
          checkout: baselineCheckout,
          commit: commitOf(baselineCheckout),
          ownData: baselineDatabaseUrl !== undefined,
        },
      }),
  stores: [],
};
let port = 18_700;
for (const store of stores) {
  const measured = await benchStore(store, port++);
  if (measured) results.stores.push(measured);
}
if (values['load-only'] || values['queries-only']) process.exit(0);
const files = quick
  ? { markdown: `${dataDir}/quick.md`, json: `${dataDir}/quick.json` }
  : { markdown: 'BENCHMARKS.md', json: 'benchmarks.json' };
// A run of one store keeps the other store's figures from the previous run of the same size.
if (existsSync(files.json)) {
  const previous = JSON.parse(readFileSync(files.json, 'utf8')) as BenchResults;
  // The purge bench's figures (npm run bench:purge) are of a run of their own: they stay.
  if (previous.purge !== undefined) results.purge = previous.purge;
  if (previous.rowsPerKind === rows) {
    const kept = previous.stores
      .map(upgradeStoreResults)
      .filter((earlier) => !results.stores.some((now) => now.store === earlier.store));
    results.stores = [...results.stores, ...kept].sort((a, b) => a.store.localeCompare(b.store)).reverse();
  }
}
await writeReport(results, files);
writeFileSync(process.stdout.fd, `\nwrote ${quick ? `${dataDir}/quick.md` : 'BENCHMARKS.md'}\n`);
process.exit(0);
