import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import Database from 'better-sqlite3';
import { format, resolveConfig } from 'prettier';
import type { IngestRun, RawCeiling } from './ingest-scenario.js';
import type { Latency } from './measure.js';
import type { HotEndpointResult } from './hot-endpoints.js';
import type { IntegrityFigures, VerifyRun } from './integrity-scenario.js';
import type { PurgeResults } from './purge-results.js';
import type { TimedQuery } from './query-scenarios.js';

export interface StoreResults {
  store: 'sqlite' | 'postgres';
  /** When this store was measured (a run of one store keeps the other's earlier figures). */
  date: string;
  durability: string;
  paging: TimedQuery[];
  filters: TimedQuery[];
  keywords: TimedQuery[];
  /** Scenario 4b: the console's volume histograms (absent from runs before them). */
  histograms?: TimedQuery[];
  /** Scenario 6: each hot read endpoint over HTTP and its raw ceiling. */
  hottest: HotEndpointResult[];
  ingest: IngestRun[];
  /** The same ingest runs against the --baseline build, each just before this build's. */
  baselineIngest?: IngestRun[];
  raw: RawCeiling;
  /** Scenario 7 (runs before the integrity log have none). */
  integrity?: IntegrityFigures;
  verify?: VerifyRun;
  mixed: { ingestEventsPerSecond: number; filters: TimedQuery[]; keywords: TimedQuery[] };
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  rowsPerKind: number;
  ingestSeconds: number;
  iterations: number;
  machine: Record<string, string | number>;
  /** The --baseline checkout scenario 6 compared with, when given. */
  baseline?: { checkout: string; commit: string; ownData?: boolean };
  stores: StoreResults[];
  /** The retention purge under load (`npm run bench:purge`), which writes it into this file. */
  purge?: PurgeResults;
}

/** Scenario 6 as bench versions before the ceiling wrote it: one endpoint, no ceiling. */
interface SingleHottest {
  request: string;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  non2xx: number;
}

/**
 * A store's results as any version of this bench wrote them, in the current shape: an earlier
 * run's single scenario-6 endpoint becomes a list of one without a ceiling (null figures).
 */
export function upgradeStoreResults(
  stored: StoreResults | (Omit<StoreResults, 'hottest'> & { hottest: SingleHottest }),
): StoreResults {
  if (Array.isArray(stored.hottest)) {
    const current = stored as StoreResults;
    // Runs before the HTTP floor was measured have none.
    return {
      ...current,
      hottest: current.hottest.map((endpoint) => ({
        ...endpoint,
        httpFloorPerSecond: endpoint.httpFloorPerSecond ?? null,
      })),
    };
  }
  const single = stored.hottest;
  return {
    ...stored,
    hottest: [
      {
        name: 'AuthMS admin list, page 1',
        ...single,
        serverProcesses: 1,
        serverCpuCores: null,
        ceilingPerSecond: null,
        ceilingProcesses: null,
        ratio: null,
        httpFloorPerSecond: null,
        ceilingStatements: [],
      },
    ],
  };
}

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';
const n = (value: number) => value.toLocaleString('en');

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function latencyRows(queries: readonly TimedQuery[], withP95: boolean): (string | number)[][] {
  return queries.map(({ name, request, latency }) => [
    name,
    `\`${request}\``,
    latency.p50,
    ...(withP95 ? [latency.p95] : []),
    latency.p99,
  ]);
}

const byName = (queries: readonly TimedQuery[]) =>
  new Map(queries.map((query) => [query.name, query.latency] as const));

/** A statement as the report shows it: whitespace collapsed, column lists of four or more as `…`. */
function statementText(sql: string): string {
  const column = String.raw`"?\w+"?(?: AS "?\w+"?)?`;
  return sql
    .replace(/\s+/g, ' ')
    .trim()
    .replace(new RegExp(`${column}(?:, ${column}){3,}`, 'g'), '…');
}

const ratioText = (ratio: number | null) => (ratio === null ? '–' : ratio.toFixed(2));

/**
 * What no Node server could beat for an endpoint: the HTTP exchange alone (the floor) and the SQL
 * alone (the ceiling) one after the other, 1 / (1/floor + 1/ceiling); then the bound as a share of
 * the ceiling, and the server's throughput as a share of the bound.
 */
function boundColumns(endpoint: HotEndpointResult): string[] {
  const { httpFloorPerSecond: floor, ceilingPerSecond: ceiling } = endpoint;
  if (floor === null || ceiling === null || floor <= 0 || ceiling <= 0) return ['–', '–', '–'];
  const bound = 1 / (1 / floor + 1 / ceiling);
  return [
    n(Math.round(bound)),
    (bound / ceiling).toFixed(2),
    (endpoint.requestsPerSecond / bound).toFixed(2),
  ];
}

function hottestSection(hottest: readonly HotEndpointResult[]): string[] {
  const first = hottest[0];
  if (first === undefined) return [];
  const withBaseline = hottest.some((endpoint) => endpoint.baseline !== undefined);
  const ceilingProcesses = first.ceilingProcesses ?? '?';
  const processCounts = (counts: (number | null | undefined)[]) =>
    [...new Set(counts.filter((count) => typeof count === 'number'))].join(' or ') || '?';
  const processes =
    `${processCounts(hottest.map((endpoint) => endpoint.serverProcesses))} process(es)` +
    (withBaseline
      ? ` (the baseline's in ${processCounts(hottest.map((endpoint) => endpoint.baseline?.serverProcesses))})`
      : '');
  const rows = hottest.map((endpoint) => {
    const { baseline } = endpoint;
    return [
      `${endpoint.name}: \`${endpoint.request}\``,
      ...(withBaseline
        ? [baseline ? n(baseline.requestsPerSecond) : '', baseline ? ratioText(baseline.ratio) : '']
        : []),
      `**${n(endpoint.requestsPerSecond)}**`,
      endpoint.ceilingPerSecond === null ? '–' : n(endpoint.ceilingPerSecond),
      `**${ratioText(endpoint.ratio)}**`,
      endpoint.httpFloorPerSecond === null ? '–' : n(endpoint.httpFloorPerSecond),
      ...boundColumns(endpoint),
      ...(withBaseline
        ? [
            baseline
              ? `×${(endpoint.requestsPerSecond / Math.max(baseline.requestsPerSecond, 1)).toFixed(2)}`
              : '',
          ]
        : []),
      endpoint.latencyP50,
      endpoint.latencyP99,
      endpoint.non2xx,
      endpoint.serverCpuCores ?? '–',
    ];
  });
  return [
    `**6. Hottest read endpoints** under autocannon (${first.connections} connections, ${first.seconds} s each, loopback; the server in ${processes}, its CPU summed over them), ` +
      `against the raw ceiling of the same statements through the driver in ${ceilingProcesses} processes (server stopped)`,
    '',
    table(
      [
        'endpoint',
        ...(withBaseline ? ['baseline req/s', 'baseline ratio'] : []),
        'req/s over HTTP',
        `raw ceiling (req-equivalents/s, ${ceilingProcesses} processes)`,
        'ratio (HTTP / ceiling)',
        `HTTP floor (req/s, same answer from memory)`,
        'bound 1/(1/floor + 1/ceiling)',
        'bound / ceiling',
        'HTTP / bound',
        ...(withBaseline ? ['current / baseline'] : []),
        'p50 (ms)',
        'p99 (ms)',
        'non-2xx',
        'server CPU (cores)',
      ],
      rows,
    ),
    '',
    'The statements of one request, as captured from the store and replayed for the ceiling (parameters in the JSON):',
    '',
    ...hottest.map(
      (endpoint) =>
        `- ${endpoint.name}: ${endpoint.ceilingStatements.map(({ sql }) => `\`${statementText(sql)}\``).join('; ') || 'not measured'}`,
    ),
    '',
  ];
}

/** Ingest against the baseline build, run by run, with this build's change. */
function baselineIngestLines(results: StoreResults): string[] {
  const baseline = results.baselineIngest;
  if (baseline === undefined) return [];
  const rows = results.ingest.map((run, index) => {
    const before = baseline[index];
    return [
      run.connections,
      before === undefined ? '' : n(before.eventsPerSecond),
      n(run.eventsPerSecond),
      before === undefined ? '' : percentChange(before.eventsPerSecond, run.eventsPerSecond),
    ];
  });
  return [
    "Against the baseline build, each of its runs just before this build's at the same connection count:",
    '',
    table(['connections', 'baseline events/s', 'events/s', 'change'], rows),
    '',
  ];
}

/** `after` relative to `before`, signed, in percent with one decimal. */
function percentChange(before: number, after: number): string {
  const change = ((after - before) / before) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`;
}

/** Scenario 7: the integrity log's lag, signing, proofs and `sealog verify`. */
function integritySection(results: StoreResults): string[] {
  const { integrity, verify } = results;
  if (integrity === undefined || verify === undefined) return [];
  const row = (name: string, latency: Latency) => [name, latency.p50, latency.p99, latency.samples];
  return [
    "**7. Integrity log**: operate-log batches of 1,000 one after another, each followed until its last record is a leaf hashed into its tree, then a checkpoint signed on demand; proofs against the largest tenant's communication log",
    '',
    table(
      ['measure', 'p50 (ms)', 'p99 (ms)', 'samples'],
      [
        row('sequencing lag: acknowledged → leaf in the tree (polled every 5 ms)', integrity.sequencingLagMs),
        row('POST …/checkpoint (hash pending, sign, store)', integrity.checkpointSigning),
        row('GET …/inclusion?id=…', integrity.inclusionProof),
        row('GET …/consistency?from=…&to=…', integrity.consistencyProof),
      ],
    ),
    '',
    `First checkpoint of that log (${n(integrity.firstCheckpointTreeSize)} leaves): ${n(integrity.firstCheckpointMs)} ms. ` +
      `\`sealog verify --kind ${verify.kind}\` (every tenant, pinned to one core): ${n(verify.leaves)} leaves in ${verify.seconds} s, **${n(verify.leavesPerSecond)} leaves/s**, exit ${verify.exitCode}.`,
    '',
  ];
}

function storeSection(results: StoreResults): string {
  const best = results.ingest.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
  const idle = byName([...results.filters, ...results.keywords]);
  const mixed = [...results.mixed.filters, ...results.mixed.keywords];
  const ingestRows = results.ingest.map((run) => [
    run.connections,
    n(run.eventsPerSecond),
    n(run.eventsPerCpuSecond),
    run.serverCpuCores,
    run.batchLatency.p50,
    run.batchLatency.p99,
    ...(run.maxIndexLagRows === undefined ? [] : [n(run.maxIndexLagRows), run.indexCatchUpSeconds ?? '']),
  ]);
  const lagHeader = results.store === 'sqlite' ? ['max trigram-index lag (rows)', 'catch-up after (s)'] : [];
  return [
    `### ${results.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    '',
    `Measured ${results.date}. Durability: ${results.durability}.`,
    '',
    '**1. Ingest over HTTP** (operate logs, batches of 1,000, JSON)',
    '',
    table(
      [
        'connections',
        'events/s',
        'events/s per server CPU core',
        'server CPU (cores)',
        'batch p50 (ms)',
        'batch p99 (ms)',
        ...lagHeader,
      ],
      ingestRows,
    ),
    '',
    ...baselineIngestLines(results),
    `Raw ceiling, same rows into the same schema: **${n(results.raw.eventsPerSecond)} events/s** (${results.raw.method}, ${results.raw.connections} connection(s)). ` +
      `Best HTTP run / raw: **${(best.eventsPerSecond / results.raw.eventsPerSecond).toFixed(2)}**.`,
    '',
    '**2. Paging** (the largest tenant)',
    '',
    table(['request', 'query', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'], latencyRows(results.paging, true)),
    '',
    '**3. Filtered queries** (the largest tenant)',
    '',
    table(['request', 'query', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'], latencyRows(results.filters, true)),
    '',
    '**4. key_words** (Tuya operate logs, the largest tenant, size 20)',
    '',
    table(['request', 'query', 'p50 (ms)', 'p99 (ms)'], latencyRows(results.keywords, false)),
    '',
    ...(results.histograms === undefined
      ? []
      : [
          '**4b. Volume histograms** (GET /v1/stats/{kind}/histogram, the largest tenant; see "Histograms" below for how)',
          '',
          table(
            ['request', 'query', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'],
            latencyRows(results.histograms, true),
          ),
          '',
        ]),
    `**5. Mixed**: the queries of 3 and 4 again while ingest runs at ${n(results.mixed.ingestEventsPerSecond)} events/s`,
    '',
    table(
      ['request', 'p99 idle (ms)', 'p99 under ingest (ms)', 'change'],
      mixed.map(({ name, latency }) => {
        const before: Latency | undefined = idle.get(name);
        return [
          name,
          before?.p99 ?? '',
          latency.p99,
          before ? `×${(latency.p99 / Math.max(before.p99, 0.01)).toFixed(1)}` : '',
        ];
      }),
    ),
    '',
    ...hottestSection(results.hottest),
    ...integritySection(results),
  ].join('\n');
}

/**
 * Writes the JSON, and the Markdown tables between the result markers (the prose around them
 * stays), formatted as `npm run lint` expects.
 */
export async function writeReport(
  results: BenchResults,
  files: { markdown: string; json: string },
): Promise<void> {
  writeFileSync(files.json, JSON.stringify(results, null, 2) + '\n');
  const machine = Object.entries(results.machine)
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ');
  const body = [
    START,
    '',
    `Run ${results.date} with \`${results.command}\`: ${n(results.rowsPerKind)} rows per log kind, ingest runs of ${results.ingestSeconds} s, ${results.iterations} timed requests per query (after 5 untimed). Machine: ${machine}.` +
      (results.baseline
        ? ` Baseline (scenarios 1 and 6): the build of ${results.baseline.commit} (\`${results.baseline.checkout}\`), ${results.baseline.ownData === true ? "on its own copy of the same generated data, loaded by its own loader (it cannot open this build's store)" : 'on the same data'}.`
        : ''),
    '',
    ...results.stores.map(storeSection),
    END,
  ].join('\n');
  await writeBetweenMarkers(files.markdown, { start: START, end: END }, body);
}

/**
 * Replaces what lies between `markers` in `file` with `body` (markers included in `body`), the
 * prose around them kept, and formats the file as `npm run lint` expects. A file without the
 * markers gets `body` appended; a missing file is created with a title.
 */
export async function writeBetweenMarkers(
  file: string,
  markers: { start: string; end: string },
  body: string,
): Promise<void> {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n`;
  const start = existing.indexOf(markers.start);
  const end = existing.indexOf(markers.end);
  const markdown =
    start === -1 || end === -1
      ? `${existing}\n${body}\n`
      : existing.slice(0, start) + body + existing.slice(end + markers.end.length);
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(markdown, { ...options, filepath: file }));
}

/** The machine a run measured on, as its report names it. */
export function machine(): Record<string, string | number> {
  const cpu = cpus();
  let postgres = '';
  try {
    postgres = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    postgres = 'psql not found';
  }
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres,
    sqlite: (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
  };
}
