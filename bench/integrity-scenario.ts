import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BIG_TENANT, communicationLog } from './data-generator.js';
import type { IngestBatches } from './ingest-scenario.js';
import { mintToken, percentiles, timeRequests, type Latency } from './measure.js';
import type { ServerProcess } from './server-process.js';
import type { StoreTarget } from './read-ceiling.js';

/** How often the bench looks whether an acknowledged record has reached the tree, in ms. */
const POLL_MS = 5;

/** Figures of the integrity log (scenario 7). */
export interface IntegrityFigures {
  /** From a batch's acknowledgment until its last record is a leaf hashed into its log's tree. */
  sequencingLagMs: Latency;
  /** POST …/checkpoint after each of those batches: hashing what is pending, signing, storing. */
  checkpointSigning: Latency;
  /** The first checkpoint of the largest loaded log (the largest tenant's communication logs). */
  firstCheckpointMs: number;
  /** Leaves of that log when it was signed. */
  firstCheckpointTreeSize: number;
  /** GET …/inclusion?id=… of random records of that log. */
  inclusionProof: Latency;
  /** GET …/consistency?from=…&to=… from a random earlier size to the checkpoint's. */
  consistencyProof: Latency;
}

/** `sealog verify` over one kind, timed (scenario 7, with every server stopped). */
export interface VerifyRun {
  kind: string;
  leaves: number;
  seconds: number;
  leavesPerSecond: number;
  exitCode: number;
}

/** Whether the record `id` of `tenant` is a leaf already hashed into its operate-log tree. */
type InTree = (tenant: string, id: string) => Promise<boolean>;

const IN_TREE_SQL = `SELECT CASE WHEN l.leaf_index < g.tree_size THEN 1 ELSE 0 END AS hashed
  FROM integrity_leaves l JOIN integrity_logs g ON g.tenant_id = l.tenant_id AND g.kind = l.kind
 WHERE l.tenant_id = $1 AND l.kind = 'operate-log' AND l.record_id = $2 AND l.transition = 0`;

/** A probe on a connection of the bench's own (read-only on SQLite), closed by the returned function. */
async function inTreeProbe(target: StoreTarget): Promise<{ inTree: InTree; close: () => Promise<void> }> {
  if (target.store === 'sqlite') {
    const db = new Database(target.path, { readonly: true });
    const statement = db.prepare(IN_TREE_SQL.replace('$1', '?').replace('$2', '?')).pluck();
    return {
      inTree: (tenant, id) => Promise.resolve(statement.get(tenant, id) === 1),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  return {
    inTree: async (tenant, id) =>
      (await client.query<{ hashed: number }>(IN_TREE_SQL, [tenant, id])).rows[0]?.hashed === 1,
    close: () => client.end(),
  };
}

/**
 * Scenario 7: `batches` operate-log batches one after another, each waited for until its last
 * record is in the tree (the lag), then a checkpoint signed on demand; then proofs against the
 * largest loaded log. The server keeps its default CHECKPOINT_INTERVAL and sequencer.
 */
export async function integrityScenario(options: {
  server: ServerProcess;
  target: StoreTarget;
  writer: string;
  batches: IngestBatches;
  count: number;
  iterations: number;
  loadedRows: number;
}): Promise<IntegrityFigures> {
  const { server, target } = options;
  const admin = await mintToken({ roles: ['admin'] }, 'usr_platform_bench');
  const headers = { authorization: `Bearer ${admin}` };
  const probe = await inTreeProbe(target);
  const lags: number[] = [];
  const signing: number[] = [];
  try {
    for (let k = 0; k < options.count; k++) {
      const body = options.batches.take();
      const rows = JSON.parse(body) as { id: string; tenant_id: string }[];
      const last = rows[rows.length - 1];
      if (last === undefined) throw new Error('an empty ingest batch');
      const response = await fetch(`${server.url}/v1/ingest/operate-logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.writer}`, 'content-type': 'application/json' },
        body,
      });
      if (!response.ok) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
      const acknowledged = performance.now();
      while (!(await probe.inTree(last.tenant_id, last.id))) await sleep(POLL_MS);
      lags.push(performance.now() - acknowledged);
      const started = performance.now();
      const signed = await fetch(
        `${server.url}/v1/integrity/operate-log/checkpoint?tenant_id=${encodeURIComponent(last.tenant_id)}`,
        { method: 'POST', headers },
      );
      if (!signed.ok) throw new Error(`signing answered ${signed.status}: ${await signed.text()}`);
      await signed.arrayBuffer();
      signing.push(performance.now() - started);
    }
  } finally {
    await probe.close();
  }
  const base = `${server.url}/v1/integrity/communication-log`;
  const started = performance.now();
  const first = await fetch(`${base}/checkpoint?tenant_id=${BIG_TENANT}`, { method: 'POST', headers });
  const note = await first.text();
  if (!first.ok) throw new Error(`signing answered ${first.status}: ${note}`);
  const firstCheckpointMs = performance.now() - started;
  const size = Number(note.split('\n')[1]);
  let draw = 1;
  const random = () => {
    // A fixed sequence: every run asks for the same records.
    draw = (draw * 48271) % 2147483647;
    return draw / 2147483647;
  };
  const bigTenantId = (): string => {
    for (;;) {
      const row = communicationLog(Math.floor(random() * options.loadedRows), options.loadedRows);
      if (row.tenant_id === BIG_TENANT) return row.id;
    }
  };
  const get = async (path: string) => {
    const answer = await fetch(`${base}/${path}&tenant_id=${BIG_TENANT}`, { headers });
    if (!answer.ok) throw new Error(`${path} answered ${answer.status}: ${await answer.text()}`);
    await answer.arrayBuffer();
  };
  const inclusionProof = await timeRequests(
    () => get(`inclusion?id=${encodeURIComponent(bigTenantId())}`),
    options.iterations,
  );
  const consistencyProof = await timeRequests(
    () => get(`consistency?from=${1 + Math.floor(random() * (size - 1))}&to=${size}`),
    options.iterations,
  );
  return {
    sequencingLagMs: percentiles(lags),
    checkpointSigning: percentiles(signing),
    firstCheckpointMs: Math.round(firstCheckpointMs),
    firstCheckpointTreeSize: size,
    inclusionProof,
    consistencyProof,
  };
}

/**
 * Runs `sealog verify --kind KIND --json` on the store, pinned to one core (taskset -c 0), and
 * reads its summary line. On PostgreSQL the database server's own work runs on the other core.
 */
export async function timeVerify(storeUrl: string, kind: string): Promise<VerifyRun> {
  const started = performance.now();
  const child = promisify(execFile)(
    'taskset',
    ['-c', '0', process.execPath, 'dist/cli/main.js', 'verify', '--kind', kind, '--json'],
    { env: { ...process.env, DATABASE_URL: storeUrl }, maxBuffer: 1 << 28 },
  );
  let exitCode = 0;
  let stdout = '';
  try {
    stdout = (await child).stdout;
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    exitCode = failed.code ?? -1;
    stdout = failed.stdout ?? '';
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { summary?: { leaves: number } })
    .find((line) => line.summary !== undefined)?.summary;
  if (summary === undefined) throw new Error(`sealog verify (exit ${exitCode}) printed no summary`);
  return {
    kind,
    leaves: summary.leaves,
    seconds: Math.round(seconds * 10) / 10,
    leavesPerSecond: Math.round(summary.leaves / seconds),
    exitCode,
  };
}
