// Export throughput on SQLite: loads `--rows` records per kind (the bench's bulk loader, cached in
// bench/.data), starts the built server (dist/: `npm run build` first) and streams the
// communication logs through GET /v1/export/communication-log as a platform admin, in each format,
// reading the body as a client would: every tenant's, then the largest tenant's (about 28 % of the
// rows, whose users' keys come back page after page). Reports rows/s, MB/s, the server's CPU seconds and its peak
// resident memory (which a constant-memory export keeps flat as the row count grows).
//   tsx bench/export-speed.ts [--rows 1000000] [--runs 2] [--port 38917]
import { mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BENCH_DATA_KEY, BENCH_SIGNING_KEY } from './bench-keys.js';
import { BIG_TENANT } from './data-generator.js';
import { loadSqlite } from './bulk-load.js';
import { BENCH_SECRET, mintToken } from './measure.js';
import { startServerProcess } from './server-process.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '2' },
    port: { type: 'string', default: '38917' },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
// The loader seals with the bench's data key; the server must hold the same one to open the rows.
process.env.DATA_KEY = BENCH_DATA_KEY;
// The bench's signing key, as bench/console-render.ts uses, so that both run on the same stores.
process.env.SIGNING_KEY ??= BENCH_SIGNING_KEY;

/** Peak resident memory of a process so far, MiB (VmHWM). */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

/** Streams one export to its end; returns its lines (records, plus the CSV header) and bytes. */
async function download(url: string, token: string): Promise<{ lines: number; bytes: number }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200 || response.body === null) throw new Error(`${url}: HTTP ${response.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    const data = chunk as Uint8Array;
    bytes += data.length;
    // Records end in LF (NDJSON) or CRLF (CSV); a CSV field holding a line break is quoted and
    // rare in the generated data, so this count is the record count within a few.
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
  }
  return { lines, bytes };
}

const dataDir = 'bench/.data';
mkdirSync(dataDir, { recursive: true });
const path = `${dataDir}/sqlite-${rows}.db`;
await loadSqlite(path, rows);
const server = await startServerProcess(
  { DATABASE_URL: `sqlite:${path}`, JWT_SECRET: BENCH_SECRET },
  Number(values.port),
);
try {
  const token = await mintToken({ roles: ['admin'] }, 'usr_bench_export');
  process.stdout.write(`export of ${rows.toLocaleString('en')} communication logs (SQLite)\n`);
  for (const tenant of [undefined, BIG_TENANT])
    for (const format of ['ndjson', 'csv']) {
      for (let run = 1; run <= runs; run++) {
        const cpuBefore = server.cpuSeconds();
        const started = performance.now();
        const scope = tenant === undefined ? '' : `&tenant_id=${tenant}`;
        const { lines, bytes } = await download(
          `${server.url}/v1/export/communication-log?format=${format}${scope}`,
          token,
        );
        const seconds = (performance.now() - started) / 1000;
        const records = format === 'csv' ? lines - 1 : lines;
        const cpu = server.cpuSeconds() - cpuBefore;
        process.stdout.write(
          `  ${tenant ?? 'every tenant'}, ${format} run ${run}: ${records.toLocaleString('en')} rows in ${seconds.toFixed(2)} s = ` +
            `${Math.round(records / seconds).toLocaleString('en')} rows/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s, ` +
            `server CPU ${cpu.toFixed(2)} s (${Math.round((cpu * 1e6) / records)} µs per row), ` +
            `server peak RSS ${peakRssMiB(server.pid)} MiB\n`,
        );
      }
    }
} finally {
  await server.stop();
}
