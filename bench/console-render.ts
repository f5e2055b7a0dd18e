// The console's first render in real Chromium: loads `--rows` records per kind (the bench's bulk
// loader, cached in bench/.data and schema sealog_bench_<rows>), starts the built server (dist/ and
// dist/console/: `npm run build` first), signs browsers in as an admin of the largest tenant and
// times, for each of the four views, navigation start → the table's first page of rows painted and
// → the volume histogram painted; cold (a new browser context: empty HTTP cache, new session) and
// warm (a reload in the same context). Prints markdown tables for BENCHMARKS.md.
//   tsx bench/console-render.ts --rows N [--stores sqlite,postgres] [--runs 20]
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BROWSER_WAIT_LIMIT_MS, launchBrowser } from '../test/helpers/browser.js';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY } from './bench-keys.js';
import { loadPostgres, loadSqlite } from './bulk-load.js';
import { BIG_TENANT, DATA_START_MS } from './data-generator.js';
import { BENCH_SECRET, mintToken } from './measure.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const HELP = `Usage: tsx bench/console-render.ts --rows N [options]

Times the web console's first render in real Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
against a store of N rows per log kind: for each view, navigation start to the table's first page
of rows and to the volume histogram, cold (new browser context) and warm (reload), with the
server's time for the page's API calls. Needs dist/ and dist/console/ (npm run build).

Options:
  --rows N             rows per log kind (required; loaded once, cached in bench/.data and
                       PostgreSQL schema sealog_bench_<N>)
  --stores LIST        sqlite,postgres (default sqlite)
  --runs N             cold and warm loads per view (default 20), after one untimed load each
  --port N             the server's port (default 38950)
  --database-url URL   PostgreSQL (default BENCH_DATABASE_URL, TEST_DATABASE_URL or
                       postgres://postgres@127.0.0.1:5432/test)

  -h, --help           show this help

Environment: SIGNING_KEY (default the bench's key, bench/bench-keys.ts) for a store whose
checkpoints another key signed, e.g. SIGNING_KEY=bench/.data/integrity-signing-key.pem.
`;

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    stores: { type: 'string', default: 'sqlite' },
    runs: { type: 'string', default: '20' },
    port: { type: 'string', default: '38950' },
    'database-url': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const rows = Number(values.rows);
const runs = Number(values.runs);
const stores = values.stores.split(',');
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--rows and --runs must be positive integers\n\n${HELP}`);
  process.exit(2);
}
if (stores.some((store) => store !== 'sqlite' && store !== 'postgres')) {
  process.stderr.write(`--stores takes sqlite and/or postgres\n\n${HELP}`);
  process.exit(2);
}
const databaseUrl =
  values['database-url'] ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
// The loader seals and signs with the bench's keys; the server must hold the same ones. A store
// whose checkpoints a server signed with a key of its own (bench/export-speed.ts leaves SIGNING_KEY
// unset: the key file in bench/.data) runs with SIGNING_KEY naming that file.
process.env.DATA_KEY = BENCH_DATA_KEY;
process.env.SIGNING_KEY ??= BENCH_SIGNING_KEY;

const VIEWS = ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log'] as const;
type View = (typeof VIEWS)[number];
const API_CALLS = ['/v1/console/session', '/v1/logs/', '/v1/stats/'] as const;

/**
 * Installed before the console's own scripts: records performance.now() (ms since navigation
 * start) of the first frame after the table holds rows and of the first after the histogram is
 * drawn. A MutationObserver sees each the moment React commits it; the requestAnimationFrame that
 * follows is the frame that paints it.
 */
const MARKER = `(() => {
  const marks = {};
  window.__renderMarks = marks;
  const seen = (name) => requestAnimationFrame(() => { marks[name] = performance.now(); });
  let table = false;
  let histogram = false;
  const observer = new MutationObserver(() => {
    if (!table && document.querySelector('[data-testid="log-table"][data-state="ready"] tr[data-row-key]')) {
      table = true;
      seen('table');
    }
    if (!histogram && document.querySelector('[data-testid="histogram"]')) {
      histogram = true;
      seen('histogram');
    }
    if (table && histogram) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'] });
})();`;

/**
 * Evaluated in the page (a string: this project's TypeScript has no DOM types): both marks once
 * their frames ran, and requestStart → responseStart of each API call from the resource timings.
 */
const READ_MARKS = `(async () => {
  const marks = window.__renderMarks;
  while (marks.table === undefined || marks.histogram === undefined) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  const calls = ${JSON.stringify(API_CALLS)};
  const api = {};
  const answered = {};
  for (const entry of performance.getEntriesByType('resource')) {
    const path = new URL(entry.name).pathname;
    const call = calls.find((prefix) => path.startsWith(prefix));
    if (call === undefined) continue;
    (api[call] ??= []).push(entry.responseStart - entry.requestStart);
    answered[call] = Math.max(answered[call] ?? 0, entry.responseEnd);
  }
  const scripts = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;
  return { table: marks.table, histogram: marks.histogram, scripts, answered, api };
})()`;

/** One load of a view: ms from navigation start, and the server time of each API call it made. */
interface Load {
  table: number;
  histogram: number;
  /** DOMContentLoaded handled: the document and the console's module scripts run, ms. */
  scripts: number;
  /** When the last response of each call ended, ms from navigation start. */
  answered: Partial<Record<(typeof API_CALLS)[number], number>>;
  /** requestStart → responseStart of each call, ms (the server's time plus loopback). */
  api: Partial<Record<(typeof API_CALLS)[number], number[]>>;
}

/** Waits for both marks of the page's current document and reads them with its resource timings. */
async function readLoad(page: Page): Promise<Load> {
  await page.locator('[data-testid="log-table"][data-state="ready"] tr[data-row-key]').first().waitFor();
  await page.locator('[data-testid="histogram"]').waitFor();
  return page.evaluate<Load>(READ_MARKS);
}

/** A new browser context (empty cache and cookies) signed in as `token`'s admin. */
async function signedInContext(browser: Browser, baseUrl: string, token: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(BROWSER_WAIT_LIMIT_MS);
  context.setDefaultNavigationTimeout(BROWSER_WAIT_LIMIT_MS);
  await context.addInitScript(MARKER);
  // The context's request client shares its cookie jar: the session cookie lands there.
  const response = await context.request.post(`${baseUrl}/v1/console/sessions`, {
    data: { token },
    headers: { origin: baseUrl },
  });
  if (response.status() !== 200)
    throw new Error(`sign-in: HTTP ${response.status()} ${await response.text()}`);
  return context;
}

/** The view's address: every loaded row in range (from the data's first day to the next hour). */
function viewUrl(baseUrl: string, view: View): string {
  const until = new Date(Math.ceil(Date.now() / 3_600_000 + 1) * 3_600_000).toISOString();
  const query = new URLSearchParams({ range: 'custom', from: new Date(DATA_START_MS).toISOString(), until });
  return `${baseUrl}/console/${view}?${query.toString()}`;
}

/** Nearest-rank percentile of `samples`, ms. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const ms = (value: number) => (value >= 100 ? Math.round(value).toString() : value.toFixed(1));
const spread = (samples: readonly number[]) =>
  `${ms(percentile(samples, 50))} / ${ms(percentile(samples, 95))} / ${ms(Math.max(...samples))}`;

/** Times every view cold and warm `runs` times against the server at `server.url`; markdown. */
async function measure(server: ServerProcess): Promise<string> {
  const token = await mintToken({ tenant_id: BIG_TENANT, roles: ['admin'] }, 'usr_admin0');
  const browser = await launchBrowser();
  const loads = new Map<string, Load[]>();
  const record = (view: View, temperature: 'cold' | 'warm', load: Load) => {
    const key = `${view} ${temperature}`;
    loads.set(key, [...(loads.get(key) ?? []), load]);
  };
  try {
    // One untimed load of each view: the server's caches and statements warm, and the access log
    // holds the tenant's reads, so that its view has rows to show.
    for (let run = 0; run <= runs; run++) {
      for (const view of VIEWS) {
        const context = await signedInContext(browser, server.url, token);
        try {
          const page = await context.newPage();
          await page.goto(viewUrl(server.url, view));
          const cold = await readLoad(page);
          await page.reload();
          const warm = await readLoad(page);
          if (run > 0) {
            record(view, 'cold', cold);
            record(view, 'warm', warm);
          }
        } finally {
          await context.close();
        }
      }
      if (run > 0) process.stdout.write(`  run ${run}/${runs} done\n`);
    }
  } finally {
    await browser.close();
  }
  const lines = [
    '| view | load | table p50 / p95 / max | histogram p50 / p95 / max |',
    '| ---- | ---- | --------------------- | ------------------------- |',
  ];
  for (const view of VIEWS) {
    for (const temperature of ['cold', 'warm'] as const) {
      const samples = loads.get(`${view} ${temperature}`) ?? [];
      lines.push(
        `| ${view} | ${temperature} | ${spread(samples.map((s) => s.table))} | ${spread(samples.map((s) => s.histogram))} |`,
      );
    }
  }
  lines.push(
    '',
    '| API call (server time) | cold p50 / p95 / max | warm p50 / p95 / max |',
    '| --- | --- | --- |',
  );
  for (const call of API_CALLS) {
    const of = (temperature: string) =>
      VIEWS.flatMap((view) =>
        (loads.get(`${view} ${temperature}`) ?? []).flatMap((load) => load.api[call] ?? []),
      );
    const label = call.endsWith('/') ? `${call}…` : call;
    lines.push(`| ${label} | ${spread(of('cold'))} | ${spread(of('warm'))} |`);
  }
  // Where a load's time goes: the medians of each step, every view together.
  lines.push(
    '',
    '| load | scripts run (DOMContentLoaded) | session answered | rows answered | histogram answered | table painted |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const temperature of ['cold', 'warm'] as const) {
    const all = VIEWS.flatMap((view) => loads.get(`${view} ${temperature}`) ?? []);
    const median = (pick: (load: Load) => number | undefined) =>
      ms(
        percentile(
          all.flatMap((load) => pick(load) ?? []),
          50,
        ),
      );
    lines.push(
      `| ${temperature} | ${median((l) => l.scripts)} | ${median((l) => l.answered['/v1/console/session'])} | ` +
        `${median((l) => l.answered['/v1/logs/'])} | ${median((l) => l.answered['/v1/stats/'])} | ${median((l) => l.table)} |`,
    );
  }
  return lines.join('\n');
}

const dataDir = 'bench/.data';
mkdirSync(dataDir, { recursive: true });
const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  `console first render, ${rows.toLocaleString('en')} rows per kind, largest tenant ${BIG_TENANT}, ` +
    `${runs} runs; ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB; ms from navigation start\n`,
);
for (const store of stores) {
  const url =
    store === 'sqlite'
      ? `sqlite:${dataDir}/sqlite-${rows}.db`
      : await loadPostgres(databaseUrl, `sealog_bench_${rows}`, rows);
  if (store === 'sqlite') await loadSqlite(`${dataDir}/sqlite-${rows}.db`, rows);
  const server = await startServerProcess(
    { DATABASE_URL: url, JWT_SECRET: BENCH_SECRET },
    Number(values.port),
  );
  try {
    const table = await measure(server);
    process.stdout.write(`\n### ${store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}\n\n${table}\n\n`);
  } finally {
    await server.stop();
  }
}
