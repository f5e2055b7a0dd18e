import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isFieldReport, type PurgeReport } from '../src/retention/purge-store.js';
import { credentialFor, HOT_ENDPOINTS, probe, requestLine } from './hot-endpoints.js';
import { runIngest, type IngestBatches, type IngestRun } from './ingest-scenario.js';
import { percentiles } from './measure.js';
import type { PurgeFigures, PurgePhase } from './purge-results.js';
import type { TimedQuery } from './query-scenarios.js';
import type { ServerProcess } from './server-process.js';

/** The hot reads of both phases: scenario 6's AuthMS admin list page 1 and its SDK-signed Tuya page 1. */
const READ_ENDPOINTS = HOT_ENDPOINTS.filter((endpoint) => !('user_id' in endpoint.query));
/** Connections of the paced ingest (each one batch at a time), as in the main bench's mixed scenario. */
const INGEST_CONNECTIONS = 2;
/** Untimed requests of each read before a phase's timed ones. */
const WARMUP = 5;

/** The hot reads against one server, each a request as scenario 6 sends it. */
export async function hotReads(server: ServerProcess) {
  return Promise.all(
    READ_ENDPOINTS.map(async (endpoint) => {
      const credential = await credentialFor(server, endpoint);
      return {
        name: endpoint.name,
        request: requestLine(endpoint),
        run: () => probe(server, endpoint, credential, endpoint.name),
      };
    }),
  );
}

type HotRead = Awaited<ReturnType<typeof hotReads>>[number];

/**
 * The reads one after another, taking turns, on one client (after WARMUP untimed each: `done()`
 * is first asked when they are over), until `done()` says so; each read's latency percentiles (ms). A failed read fails the bench: a
 * benchmark of error answers measures nothing.
 */
async function readUntil(reads: readonly HotRead[], done: () => boolean): Promise<TimedQuery[]> {
  for (const read of reads) for (let i = 0; i < WARMUP; i++) await read.run();
  const samples = reads.map(() => [] as number[]);
  while (!done()) {
    for (const [n, read] of reads.entries()) {
      const started = performance.now();
      await read.run();
      samples[n]?.push(performance.now() - started);
    }
  }
  return reads.map((read, n) => ({
    name: read.name,
    request: read.request,
    latency: percentiles(samples[n] ?? []),
  }));
}

/** Ingest paced at `ratePerSecond` in all until stopped, failures counted rather than thrown. */
function pacedIngest(
  server: ServerProcess,
  writer: string,
  batches: IngestBatches,
  ratePerSecond: number,
): { stop: () => Promise<IngestRun> } {
  const stop = { requested: false };
  const run = runIngest(server, writer, batches, {
    connections: INGEST_CONNECTIONS,
    seconds: 24 * 3600,
    ratePerSecond,
    stop,
    countFailures: true,
  });
  // A rejection is surfaced by stop(); until then it must not go unhandled.
  run.catch(() => undefined);
  return {
    stop: () => {
      stop.requested = true;
      return run;
    },
  };
}

/** Phase b: the paced ingest and the hot reads for `seconds`, no purge. */
export async function idlePhase(
  server: ServerProcess,
  reads: readonly HotRead[],
  ingest: { writer: string; batches: IngestBatches; ratePerSecond: number },
  seconds: number,
): Promise<PurgePhase> {
  const running = pacedIngest(server, ingest.writer, ingest.batches, ingest.ratePerSecond);
  try {
    // The window opens after the reads' untimed warm-up, when done() is first asked.
    let deadline: number | undefined;
    const timed = await readUntil(reads, () => {
      deadline ??= performance.now() + seconds * 1000;
      return performance.now() >= deadline;
    });
    return { reads: timed, ingest: await running.stop() };
  } finally {
    await running.stop().catch(() => undefined);
  }
}

/** How to run `sealog purge` against the store under test. */
export interface PurgeCommand {
  /** This checkout's CLI entry, e.g. dist/cli/main.js. */
  entry: string;
  /** The store's environment (DATABASE_URL and the keys), as the server's. */
  env: Record<string, string>;
}

/**
 * Phase c: `sealog purge --json` in a child process while the paced ingest and the hot reads go
 * on, from its spawn to its exit. Its progress lines go to stderr as they come.
 */
export async function purgePhase(
  server: ServerProcess,
  reads: readonly HotRead[],
  ingest: { writer: string; batches: IngestBatches; ratePerSecond: number },
  command: PurgeCommand,
): Promise<PurgePhase & { figures: PurgeFigures; reports: PurgeReport[] }> {
  const running = pacedIngest(server, ingest.writer, ingest.batches, ingest.ratePerSecond);
  try {
    // The reads warm up before the purge starts, so every timed read is during it.
    let exited = false;
    let markWarm: () => void = () => undefined;
    const warmed = new Promise<void>((resolve) => (markWarm = resolve));
    const timed = readUntil(reads, () => {
      markWarm();
      return exited;
    });
    // A read failing in its warm-up rejects `timed`, which must not leave this waiting.
    await Promise.race([warmed, timed]);
    const started = performance.now();
    const child = spawn(process.execPath, [command.entry, 'purge', '--json'], {
      env: { ...process.env, ...command.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      process.stderr.write(`    sealog purge: ${line}\n`);
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const wallSeconds = (performance.now() - started) / 1000;
    exited = true;
    const phaseReads = await timed;
    const phaseIngest = await running.stop();
    const reports = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as PurgeReport);
    // A field's report counts days whose values expired, not rows.
    const rowReports = reports.filter((report) => !isFieldReport(report));
    const removed = rowReports.reduce((sum, report) => sum + report.removed, 0);
    const reportSeconds = reports.reduce((sum, report) => sum + report.durationMs, 0) / 1000;
    return {
      reads: phaseReads,
      ingest: phaseIngest,
      reports,
      figures: {
        removed,
        logs: rowReports.length,
        reportSeconds: Math.round(reportSeconds * 10) / 10,
        rowsPerSecond: Math.round(removed / Math.max(reportSeconds, 0.001)),
        wallSeconds: Math.round(wallSeconds * 10) / 10,
        wallRowsPerSecond: Math.round(removed / wallSeconds),
        exitCode,
      },
    };
  } finally {
    await running.stop().catch(() => undefined);
  }
}
