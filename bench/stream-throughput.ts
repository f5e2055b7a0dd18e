// Log streams under load: HTTP ingest at the bench's best shape (batches of 1,000 operate logs from
// a platform writer, 4 connections) on a fresh store, alternating runs with the platform stream
// paused (A) and delivering (B) to a local webhook receiver (Standard Webhooks, answering 204
// without verifying: the receiver must not be the bottleneck). Reports ingest events/s of each
// run, the events/s the receiver got, the stream's largest lag (events and seconds, sampled from
// GET /v1/streams every second) and how long it took to catch up after the run. `npm run build` first.
//   tsx bench/stream-throughput.ts [--store sqlite|postgres] [--seconds 20] [--rounds 2] [--port 38921]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY } from './bench-keys.js';
import { IngestBatches, runIngest, type IngestRun } from './ingest-scenario.js';
import { BENCH_SECRET, mintToken } from './measure.js';
import { startServerProcess } from './server-process.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    port: { type: 'string', default: '38921' },
    'database-url': { type: 'string' },
  },
});
process.env.DATA_KEY = BENCH_DATA_KEY;
process.env.SIGNING_KEY = BENCH_SIGNING_KEY;
const seconds = Number(values.seconds);
const databaseUrl =
  values['database-url'] ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const EVENT_KEY = Buffer.from('"leaf_index":');

/**
 * A receiver that counts the events of each batch and answers 204. It counts the `"leaf_index":`
 * keys (one per event; a quote inside a value is escaped) instead of parsing the body: it shares
 * the machine's cores with the server and the ingest client, and a SIEM's parsing is not a cost
 * of streaming.
 */
async function startReceiver() {
  const received = { events: 0, bytes: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      received.bytes += body.length;
      for (let at = body.indexOf(EVENT_KEY); at !== -1; at = body.indexOf(EVENT_KEY, at + 1))
        received.events++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}/hook`, received, close: () => server.close() };
}

const dir = mkdtempSync(join(tmpdir(), 'sealog-stream-bench-'));
const receiver = await startReceiver();
let storeUrl = `sqlite:${join(dir, 'sealog.db')}`;
let schema: string | undefined;
if (values.store === 'postgres') {
  schema = `sealog_stream_bench_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  storeUrl = url.toString();
}
const streamsFile = join(dir, 'streams.json');
writeFileSync(
  streamsFile,
  JSON.stringify({
    streams: {
      siem: {
        destination: {
          type: 'webhook',
          url: receiver.url,
          secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`],
        },
        kinds: ['operate-log'],
        batch: { max_events: 1000, max_wait_ms: 200 },
      },
    },
  }),
);
const server = await startServerProcess(
  { DATABASE_URL: storeUrl, JWT_SECRET: BENCH_SECRET, STREAMS_FILE: streamsFile, PURGE_INTERVAL: '0' },
  Number(values.port),
);
const writer = await mintToken({ roles: ['audit:write'] }, 'svc_bench');
const admin = await mintToken({ roles: ['admin'] }, 'usr_bench');
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status !== 200)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { stream: { lag: { events: number; seconds: number } } }).stream;
};
const batches = new IngestBatches(0, `s${Date.now().toString(36)}`);
const results: {
  run: string;
  ingest: IngestRun;
  delivered?: number;
  maxLag?: { events: number; seconds: number };
  catchUpSeconds?: number;
}[] = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    // A: the stream paused, so ingest runs as without it.
    await call('POST', '/v1/streams/siem/pause');
    process.stderr.write(`round ${round + 1}: stream paused, ingest ${seconds} s…\n`);
    results.push({
      run: 'A (paused)',
      ingest: await runIngest(server, writer, batches, { connections: 4, seconds }),
    });
    // B: from the end of the logs (a rewind past it stops at each log's size), delivering.
    await call('POST', '/v1/streams/siem/rewind', { leaf_index: Number.MAX_SAFE_INTEGER });
    await call('POST', '/v1/streams/siem/resume');
    process.stderr.write(`round ${round + 1}: stream delivering, ingest ${seconds} s…\n`);
    const before = receiver.received.events;
    const maxLag = { events: 0, seconds: 0 };
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        const { lag } = await call('GET', '/v1/streams/siem');
        maxLag.events = Math.max(maxLag.events, lag.events);
        maxLag.seconds = Math.max(maxLag.seconds, lag.seconds);
        await sleep(1000);
      }
    })();
    const ingest = await runIngest(server, writer, batches, { connections: 4, seconds });
    const delivered = Math.round((receiver.received.events - before) / ingest.seconds);
    // A stream that delivered nothing says why (its state and last error) rather than a bare 0.
    if (delivered === 0)
      process.stderr.write(
        `the stream delivered nothing: ${JSON.stringify(await call('GET', '/v1/streams/siem'))}\n`,
      );
    const drained = performance.now();
    // Caught up once the receiver holds every event of the run and nothing numbered is pending: on
    // PostgreSQL the lag counts only leaves the sequencer has numbered, which may trail the rows.
    // At most the events ingested: eventsPerSecond and seconds are both rounded.
    const ingested = Math.floor((ingest.eventsPerSecond - 0.5) * (ingest.seconds - 0.05));
    while (
      receiver.received.events - before < ingested ||
      (await call('GET', '/v1/streams/siem')).lag.events > 0
    )
      await sleep(200);
    const catchUpSeconds = Math.round((performance.now() - drained) / 100) / 10;
    sampling.on = false;
    await sampler;
    results.push({ run: 'B (streaming)', ingest, delivered, maxLag, catchUpSeconds });
  }
} finally {
  await server.stop();
  receiver.close();
  if (schema !== undefined) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(
  `| run | ingest events/s | server CPU cores | stream events/s during the run | largest lag (events, s) | catch-up after |\n`,
);
process.stdout.write(`| --- | --- | --- | --- | --- | --- |\n`);
for (const { run, ingest, delivered, maxLag, catchUpSeconds } of results) {
  process.stdout.write(
    `| ${values.store} ${run} | ${ingest.eventsPerSecond.toLocaleString('en')} | ${ingest.serverCpuCores} | ` +
      `${delivered === undefined ? '—' : delivered.toLocaleString('en')} | ` +
      `${maxLag === undefined ? '—' : `${maxLag.events.toLocaleString('en')}, ${maxLag.seconds}`} | ` +
      `${catchUpSeconds === undefined ? '—' : `${catchUpSeconds} s`} |\n`,
  );
}
