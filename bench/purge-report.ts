import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { PurgePhase, PurgeResults, PurgeStoreResults } from './purge-results.js';
import { writeBetweenMarkers, type BenchResults } from './report.js';

/** The markers of the purge section in BENCHMARKS.md (its prose stays around them). */
export const PURGE_MARKERS = { start: '<!-- purge:start -->', end: '<!-- purge:end -->' };

const n = (value: number) => value.toLocaleString('en');
const STORE_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function phaseRows(idle: PurgePhase, during: PurgePhase, target: number): (string | number)[][] {
  const reads = idle.reads.map((read, i) => {
    const other = during.reads[i]?.latency;
    return [
      `${read.name}: p50 / p99 (ms)`,
      `${read.latency.p50} / ${read.latency.p99}`,
      other === undefined ? '–' : `${other.p50} / ${other.p99}`,
    ];
  });
  // The cell names the first failure's status; its answer follows the table (failureLines).
  const failures = (phase: PurgePhase) => {
    const status = /^ingest: (\d+)/.exec(phase.ingest.firstFailure ?? '')?.[1];
    const first = phase.ingest.firstFailure === undefined ? '' : ` (first: ${status ?? 'no answer'})`;
    return `${phase.ingest.failedBatches ?? 0}${first}`;
  };
  return [
    ...reads,
    [
      'timed reads (each endpoint)',
      n(idle.reads[0]?.latency.samples ?? 0),
      n(during.reads[0]?.latency.samples ?? 0),
    ],
    [
      `ingest events/s (target ${n(target)})`,
      n(idle.ingest.eventsPerSecond),
      n(during.ingest.eventsPerSecond),
    ],
    [
      'ingest batch p50 / p99 (ms)',
      `${idle.ingest.batchLatency.p50} / ${idle.ingest.batchLatency.p99}`,
      `${during.ingest.batchLatency.p50} / ${during.ingest.batchLatency.p99}`,
    ],
    ['failed ingest batches', failures(idle), failures(during)],
    ['server CPU (cores)', idle.ingest.serverCpuCores, during.ingest.serverCpuCores],
    ['length (s)', idle.ingest.seconds, during.ingest.seconds],
  ];
}

/** The first failed ingest batch of each phase, as answered (none: nothing). */
function failureLines(results: PurgeStoreResults): string[] {
  const phases = [
    ['idle', results.idle],
    ['during the purge', results.duringPurge],
  ] as const;
  return phases.flatMap(([name, phase]) =>
    phase.ingest.firstFailure === undefined
      ? []
      : [`First failed ingest batch ${name}: \`${phase.ingest.firstFailure.slice(0, 300)}\`.`, ''],
  );
}

function storeSection(results: PurgeStoreResults): string {
  const { load, purge, checks } = results;
  const expired = load.kinds.reduce((sum, kind) => sum + kind.expired, 0);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const kinds = (field: 'expired' | 'recent') =>
    load.kinds.map((kind) => `${n(kind[field])} ${kind.kind}s`).join(' and ');
  const best =
    results.bestIngestEventsPerSecond === null
      ? 'given by `--ingest-rate`'
      : `half the best rate, ${n(results.bestIngestEventsPerSecond)} events/s over 4 connections, measured just before`;
  const check = (ok: boolean) => (ok ? 'yes' : '**NO**');
  return [
    `### ${STORE_NAMES[results.store]}`,
    '',
    `Measured ${results.date}. Loaded (untimed, ${n(load.loadSeconds)} s): ${n(expired)} expired rows — ${kinds('expired')}, dated ${day(load.expiredFromMs)} to ${day(load.expiredToMs)} — with ${n(load.transitions)} delivery-status transitions on them, and ${kinds('recent')} within their retention.`,
    '',
    `\`sealog purge\` removed **${n(purge.removed)} rows** from ${n(purge.logs)} logs (tenant × kind) at **${n(purge.rowsPerSecond)} rows/s** over its reports' time (${purge.reportSeconds} s); from spawn to exit ${purge.wallSeconds} s (${n(purge.wallRowsPerSecond)} rows/s), which adds start-up, its dry-run count and giving freed pages back. Exit code ${purge.exitCode ?? 'none (killed)'}. Ingest paced at ${n(results.ingestTargetEventsPerSecond)} events/s (${best}) in both phases.`,
    '',
    table(
      ['while the paced ingest runs', 'idle', 'during the purge'],
      phaseRows(results.idle, results.duringPurge, results.ingestTargetEventsPerSecond),
    ),
    '',
    ...failureLines(results),
    `Checks after the purge: removed = expired rows loaded: ${check(checks.removedAllExpired)}; loaded expired rows left: ${n(checks.expiredLeft)}; recent rows kept: ${n(checks.recentKept)} of ${n(checks.recentLoaded)}; transitions without their log: ${n(checks.orphanTransitions)}; leaves without their record: ${n(checks.orphanLeaves)}; id claims left: ${checks.claimsLeft === null ? 'n/a (SQLite keeps none)' : n(checks.claimsLeft)}. Machine load average (1 min) ${results.loadAverage.before} before, ${results.loadAverage.after} after.`,
    '',
  ].join('\n');
}

/** The section between the purge markers. */
function purgeBody(results: PurgeResults): string {
  const machine = Object.entries(results.machine)
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ');
  return [
    PURGE_MARKERS.start,
    '',
    `Run ${results.date} with \`${results.command}\`: ${n(results.expiredRows)} expired rows per store, idle phase of ${results.idleSeconds} s. Machine: ${machine}.`,
    '',
    ...results.stores.map(storeSection),
    PURGE_MARKERS.end,
  ].join('\n');
}

/**
 * Writes the purge figures: the Markdown section between its markers (BENCHMARKS.md, or a quick
 * run's own file), and the JSON — under `purge` in benchmarks.json, the main bench's figures
 * kept (that bench keeps this key when it rewrites the file), or a file of its own for a quick run.
 * A run of one store keeps the other store's figures of the previous run.
 */
export async function writePurgeReport(
  results: PurgeResults,
  files: { markdown: string; json: string; jsonKey?: 'purge' },
): Promise<void> {
  const stored: unknown = existsSync(files.json) ? JSON.parse(readFileSync(files.json, 'utf8')) : {};
  const container = (files.jsonKey === 'purge' ? stored : {}) as Partial<BenchResults>;
  const previous = files.jsonKey === 'purge' ? container.purge : (stored as Partial<PurgeResults>);
  const kept = (previous?.expiredRows === results.expiredRows ? (previous.stores ?? []) : []).filter(
    (earlier) => !results.stores.some((now) => now.store === earlier.store),
  );
  const merged = {
    ...results,
    stores: [...results.stores, ...kept].sort((a, b) => b.store.localeCompare(a.store)),
  };
  const json = files.jsonKey === 'purge' ? { ...container, purge: merged } : merged;
  writeFileSync(files.json, JSON.stringify(json, null, 2) + '\n');
  if (!existsSync(files.markdown)) {
    writeFileSync(
      files.markdown,
      `# Retention purge under load\n\n${PURGE_MARKERS.start}\n${PURGE_MARKERS.end}\n`,
    );
  }
  await writeBetweenMarkers(files.markdown, PURGE_MARKERS, purgeBody(merged));
}
