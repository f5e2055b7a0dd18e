import { setImmediate as yieldToEvents, setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openStoreConnection } from '../src/storage/sqlite/engine/store-connection.js';
import { WalCheckpointer } from '../src/storage/sqlite/engine/wal-checkpointer.js';
import { copyRows } from './bulk-load.js';
import { DATA_END_MS, operateLog } from './data-generator.js';
import { percentiles, type Latency } from './measure.js';
import type { ServerProcess } from './server-process.js';

export const BATCH_ROWS = 1000;
/** Distinct batch bodies kept in memory; batch k reuses body k % TEMPLATES with its own ids and times. */
const TEMPLATES = 64;
const ID_TOKEN = '@@@';
/** Stands for the record_time of row j of a body, as the JSON string "@@T<j>". */
const TIME_TOKEN = /"@@T(\d+)"/g;
/** Milliseconds between consecutive ingested events, as in the loaded data's tail. */
const EVENT_SPACING_MS = 3;

/**
 * Operate-log batches for HTTP ingest, serialized before any timed window. Each body holds tokens
 * replaced per batch, so every batch carries new ids (a re-sent id would be skipped, not stored)
 * and later times than the batch before it: events arrive in time order, as a log shipper sends
 * them. (Reused times would be an artifact: each batch would land among the rows of earlier
 * batches with the same times, dirtying a page of every index per row.)
 */
export class IngestBatches {
  private readonly bodies: string[] = [];
  private next = 0;

  /** Rows as operateLog(firstRow + …, firstRow) makes them: times start where the loaded data ends. */
  constructor(
    firstRow: number,
    private readonly tag: string,
  ) {
    for (let t = 0; t < TEMPLATES; t++) {
      const rows = Array.from({ length: BATCH_ROWS }, (_, j) => {
        const row = operateLog(firstRow + t * BATCH_ROWS + j, firstRow);
        return { ...row, id: `op_${ID_TOKEN}_${j}`, record_time: `@@T${j}` };
      });
      this.bodies.push(JSON.stringify(rows));
    }
  }

  /** The next batch's JSON body, with ids no other batch has and times after the last batch's. */
  take(): string {
    const k = this.next++;
    const firstTime = DATA_END_MS + k * BATCH_ROWS * EVENT_SPACING_MS;
    return (this.bodies[k % TEMPLATES] ?? '')
      .replaceAll(ID_TOKEN, `${this.tag}${k.toString(36)}`)
      .replace(TIME_TOKEN, (_, j: string) => String(firstTime + Number(j) * EVENT_SPACING_MS));
  }
}

/** Figures of one ingest run. */
export interface IngestRun {
  connections: number;
  seconds: number;
  eventsPerSecond: number;
  /** Events per second per core of server CPU time (user + system) used during the run. */
  eventsPerCpuSecond: number;
  serverCpuCores: number;
  batchLatency: Latency;
  /** SQLite only: the background trigram indexer's largest lag during the run, in rows. */
  maxIndexLagRows?: number;
  /** SQLite only: seconds the indexer took to catch up after the run. */
  indexCatchUpSeconds?: number;
  /** With `countFailures`: batches answered with an error or not answered (not in events/s). */
  failedBatches?: number;
  /** With `countFailures`: the first failure, as answered. */
  firstFailure?: string;
}

/**
 * POSTs batches over `connections` concurrent keep-alive connections for `seconds`; with
 * `ratePerSecond`, paces them to that many events per second in all (the mixed scenario).
 */
export async function runIngest(
  server: ServerProcess,
  token: string,
  batches: IngestBatches,
  options: {
    connections: number;
    seconds: number;
    ratePerSecond?: number;
    indexLag?: () => number;
    /** Ends the run early once set (the mixed scenario stops it when its queries are done). */
    stop?: { requested: boolean };
    /**
     * Counts a failed batch (an error answer, or none) and goes on instead of throwing: for a run
     * whose point is whether ingest keeps working while something else runs (the purge bench).
     */
    countFailures?: boolean;
  },
): Promise<IngestRun> {
  const latencies: number[] = [];
  let events = 0;
  let failedBatches = 0;
  let firstFailure: string | undefined;
  let maxLag = 0;
  const cpuBefore = server.cpuSeconds();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const interval =
    options.ratePerSecond === undefined
      ? 0
      : (BATCH_ROWS * 1000 * options.connections) / options.ratePerSecond;
  const worker = async () => {
    for (
      let due = performance.now();
      performance.now() < deadline && options.stop?.requested !== true;
      due += interval
    ) {
      if (interval > 0 && due > performance.now()) await sleep(due - performance.now());
      const body = batches.take();
      const sent = performance.now();
      let answer: { status: number; body: { inserted?: number } };
      try {
        const response = await fetch(`${server.url}/v1/ingest/operate-logs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        answer = { status: response.status, body: (await response.json()) as { inserted?: number } };
      } catch (error) {
        if (options.countFailures !== true) throw error;
        answer = { status: 0, body: {} };
        firstFailure ??= `no answer: ${String(error)}`;
      }
      if (answer.status !== 200) {
        const failure = `ingest: ${answer.status} ${JSON.stringify(answer.body)}`;
        if (options.countFailures !== true) throw new Error(failure);
        failedBatches++;
        if (answer.status !== 0) firstFailure ??= failure;
        continue;
      }
      latencies.push(performance.now() - sent);
      events += answer.body.inserted ?? 0;
    }
  };
  const sampler = setInterval(() => {
    if (options.indexLag) maxLag = Math.max(maxLag, options.indexLag());
  }, 500);
  try {
    await Promise.all(Array.from({ length: options.connections }, worker));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = server.cpuSeconds() - cpuBefore;
  const run: IngestRun = {
    connections: options.connections,
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSecond: Math.round(events / seconds),
    eventsPerCpuSecond: Math.round(events / Math.max(cpu, 0.01)),
    serverCpuCores: Math.round((cpu / seconds) * 100) / 100,
    batchLatency: percentiles(latencies),
    ...(options.countFailures === true
      ? { failedBatches, ...(firstFailure === undefined ? {} : { firstFailure }) }
      : {}),
  };
  if (options.indexLag) {
    const catchUp = performance.now();
    while (options.indexLag() > 0) await sleep(100);
    run.maxIndexLagRows = Math.max(maxLag, 0);
    run.indexCatchUpSeconds = Math.round((performance.now() - catchUp) / 100) / 10;
  }
  return run;
}

/** The raw ceiling: rows per second inserted straight through the driver into the same schema. */
export interface RawCeiling {
  method: string;
  connections: number;
  eventsPerSecond: number;
}

/**
 * Which rows a raw ceiling inserts: row i from `firstRow` on, timed as the loaded data of
 * `loadedRows` rows continued (so they follow, in time order, whatever HTTP ingest stored before).
 */
export interface RawRows {
  firstRow: number;
  loadedRows: number;
}

function rawRow(rows: RawRows, i: number): Record<string, unknown> {
  return { ...operateLog(i, rows.loadedRows), id: `raw_${i}` };
}

/**
 * better-sqlite3 into operate_logs, one transaction per batch of 1,000, with the store's own
 * durability (WAL, synchronous=FULL) and WAL checkpoints (on a worker thread) and the same
 * idempotent INSERT; no trigram indexing.
 */
export async function sqliteRawCeiling(path: string, rows: RawRows, seconds: number): Promise<RawCeiling> {
  const db = openStoreConnection(path);
  const checkpointer = new WalCheckpointer(db, path);
  const columns = Object.keys(operateLog(0, 1));
  const insert = db.prepare(
    `INSERT INTO operate_logs (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ON CONFLICT (tenant_id, id) DO NOTHING`,
  );
  const batch = db.transaction((from: number) => {
    for (let i = from; i < from + BATCH_ROWS; i++) insert.run(rawRow(rows, i));
  });
  let inserted = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    batch(rows.firstRow + inserted);
    inserted += BATCH_ROWS;
    // Lets the checkpointer's restart requests in between batches, as the server's writer thread does.
    await yieldToEvents();
  }
  const elapsed = performance.now() - started;
  await checkpointer.stop();
  db.close();
  return {
    method:
      'better-sqlite3, one transaction per 1,000 rows, synchronous=FULL, checkpoints on a worker thread',
    connections: 1,
    eventsPerSecond: Math.round(inserted / (elapsed / 1000)),
  };
}

/** COPY into operate_logs (the partitioned base table, its indexes included), one COPY per 1,000 rows. */
export async function postgresRawCeiling(
  url: string,
  rows: RawRows,
  seconds: number,
  connections: number,
): Promise<RawCeiling> {
  const columns = Object.keys(operateLog(0, 1));
  let inserted = 0;
  let next = rows.firstRow;
  const started = performance.now();
  const worker = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (performance.now() - started < seconds * 1000) {
        const from = next;
        next += BATCH_ROWS;
        await copyRows(client, 'operate_logs', columns, (i) => rawRow(rows, i), from, from + BATCH_ROWS);
        inserted += BATCH_ROWS;
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return {
    method: 'COPY, one per 1,000 rows (own transaction each)',
    connections,
    eventsPerSecond: Math.round(inserted / ((performance.now() - started) / 1000)),
  };
}
