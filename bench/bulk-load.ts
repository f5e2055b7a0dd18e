import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { benchSealing } from './bench-keys.js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { applyMigrations } from '../src/storage/sqlite/migrations.js';
import { searchFilePath } from '../src/storage/sqlite/search/search-index-file.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { communicationLog, DATA_END_MS, mfaConfigAuditLog, operateLog } from './data-generator.js';

/** The SQLite schema version before the tally tables (migration 3). */
const LAST_MIGRATION_BEFORE_TALLIES = 2;

/** Bumped whenever the generator or the loaded schema changes, so stale cached data is never reused. */
const DATA_VERSION = 3;

type RowMaker = (i: number, total: number) => Record<string, unknown>;
const TABLES: readonly { table: string; keysTable: string; time: string; make: RowMaker }[] = [
  {
    table: 'communication_logs',
    keysTable: 'communication_log_keys',
    time: 'created_at',
    make: communicationLog as unknown as RowMaker,
  },
  {
    table: 'mfa_config_audit_logs',
    keysTable: 'mfa_config_audit_log_keys',
    time: 'timestamp',
    make: mfaConfigAuditLog as unknown as RowMaker,
  },
  {
    table: 'operate_logs',
    keysTable: 'operate_log_keys',
    time: 'record_time',
    make: operateLog as unknown as RowMaker,
  },
];

/** Progress of a long load, to stderr. */
function report(what: string, done: number, total: number, startedMs: number): void {
  const seconds = (performance.now() - startedMs) / 1000;
  process.stderr.write(
    `\r  ${what}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} rows (${Math.round(done / seconds).toLocaleString('en')} rows/s)   `,
  );
  if (done === total) process.stderr.write('\n');
}

/**
 * A SQLite store of `rows` rows per log kind at `path`, loaded outside any timed window: raw
 * inserts with synchronous=OFF, then the later migrations as on an upgrade, then the search file
 * built by the store's own indexer. Reused when present, rows of earlier runs removed (the store
 * is still opened once, so that data loaded by an older sealog is migrated and indexed here
 * rather than in a timed run).
 */
export async function loadSqlite(path: string, rows: number): Promise<void> {
  const marker = `${path}.loaded-v${DATA_VERSION}`;
  if (!existsSync(marker) || !existsSync(path)) {
    insertSqliteRows(path, rows);
    writeFileSync(marker, new Date().toISOString());
  } else {
    resetSqlite(path);
  }
  const migrated = performance.now();
  const store = new SqliteStore(path, benchSealing());
  try {
    const applied = await store.migrate();
    if (applied.length > 0) {
      const names = applied.map((migration) => migration.name).join(', ');
      process.stderr.write(`  sqlite migrations (${names}): ${seconds(migrated)} s\n`);
    }
    const indexer = store.searchIndexer;
    const pending = indexer?.pendingRows() ?? 0;
    if (indexer && pending > 0) {
      const started = performance.now();
      const progress = setInterval(() => {
        report('sqlite search file', pending - indexer.pendingRows(), pending, started);
      }, 2000);
      await indexer.whenCaughtUp();
      clearInterval(progress);
      report('sqlite search file', pending, pending, started);
    }
  } finally {
    await store.close();
  }
}

function seconds(sinceMs: number): string {
  return ((performance.now() - sinceMs) / 1000).toFixed(0);
}

/** The raw rows, into the schema before the tally migration (whose upgrade path they then take). */
function insertSqliteRows(path: string, rows: number): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  for (const file of [path, searchFilePath(path)]) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  // The rows go in raw, past the store's per-batch tallies: the tally migration, run after the
  // load as on an upgrade, fills the tallies from them.
  applyMigrations(db, LAST_MIGRATION_BEFORE_TALLIES);
  for (const { table, make } of TABLES) {
    const columns = Object.keys(make(0, rows));
    const insert = db.prepare(
      `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    const started = performance.now();
    const chunk = 50_000;
    for (let from = 0; from < rows; from += chunk) {
      db.transaction(() => {
        for (let i = from; i < Math.min(rows, from + chunk); i++) insert.run(make(i, rows));
      })();
      report(`sqlite ${table}`, Math.min(rows, from + chunk), rows, started);
    }
  }
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** COPY text format: tabs, newlines and backslashes escaped, null as \N. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`cannot COPY ${typeof value}`);
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** Streams rows [from, to) of a table through COPY on one client. */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  make: (i: number) => Record<string, unknown>,
  from: number,
  to: number,
): Promise<void> {
  function* lines() {
    let buffer = '';
    for (let i = from; i < to; i++) {
      const row = make(i);
      buffer += columns.map((c) => copyField(row[c])).join('\t') + '\n';
      if (buffer.length > 1 << 20) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer !== '') yield buffer;
  }
  await pipeline(
    Readable.from(lines()),
    client.query(copyFrom(`COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`)),
  );
}

/**
 * A PostgreSQL schema `schema` of `rows` rows per log kind, loaded by COPY outside any timed window
 * (the trigram GIN index is built after the load). Reused when its marker table says it is complete.
 */
export async function loadPostgres(databaseUrl: string, schema: string, rows: number): Promise<string> {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const done = await admin.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'bench_loaded_v${DATA_VERSION}'`,
      [schema],
    );
    if (done.rowCount === 1) return url.toString();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const store = new PostgresStore(
    { url: url.toString(), poolSize: 2, statementTimeoutMs: 3_600_000, unavailableTimeoutMs: 60_000 },
    () => Date.UTC(2026, 10, 1),
    benchSealing(),
  );
  await store.migrate();
  await store.close();
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query("SET maintenance_work_mem = '1GB'");
    // The partitions of the loaded months (August to November 2026), which COPY does not create.
    for (const { table, time } of TABLES) {
      for (let m = 0; m < 4; m++) {
        const start = Date.UTC(2026, 7 + m, 1);
        const end = Date.UTC(2026, 8 + m, 1);
        const suffix = `p2026${String(8 + m).padStart(2, '0')}`;
        await client.query('SELECT sealog_add_partition($1, $2, $3, $4, $5)', [
          table,
          time,
          suffix,
          start,
          end,
        ]);
      }
    }
    await client.query('DROP INDEX operate_logs_by_search_text');
    for (const { table, keysTable, time, make } of TABLES) {
      const columns = Object.keys(make(0, rows));
      const started = performance.now();
      const chunk = 500_000;
      for (let from = 0; from < rows; from += chunk) {
        const to = Math.min(rows, from + chunk);
        await copyRows(client, table, columns, (i) => make(i, rows), from, to);
        await copyRows(client, keysTable, ['tenant_id', 'id', time], (i) => make(i, rows), from, to);
        report(`postgres ${table}`, to, rows, started);
      }
    }
    // The rows were loaded in plaintext, as a store of an older version holds them: the store seals
    // them (and fills search_text) as it does on an upgrade; the sequencer numbers them later.
    const sealing = performance.now();
    const sealer = new PostgresStore(
      { url: url.toString(), poolSize: 2, statementTimeoutMs: 3_600_000, unavailableTimeoutMs: 60_000 },
      () => Date.UTC(2026, 10, 1),
      benchSealing(),
    );
    await sealer.migrate();
    await sealer.close();
    process.stderr.write(
      `  postgres: rows sealed in ${((performance.now() - sealing) / 1000).toFixed(0)} s\n`,
    );
    const started = performance.now();
    process.stderr.write('  postgres operate_logs: building the trigram GIN index…\n');
    const trgm = await client.query<{ schema: string }>(
      "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'",
    );
    await client.query(
      `CREATE INDEX operate_logs_by_search_text ON operate_logs USING gin (tenant_id, search_text ${trgm.rows[0]?.schema ?? 'public'}.gin_trgm_ops)`,
    );
    process.stderr.write(
      `  postgres operate_logs GIN: ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );
    for (const { table, keysTable } of TABLES) await client.query(`VACUUM ANALYZE ${table}, ${keysTable}`);
    await client.query(`CREATE TABLE bench_loaded_v${DATA_VERSION} (loaded_at timestamptz DEFAULT now())`);
  } finally {
    await client.end();
  }
  return url.toString();
}

/**
 * Brings a loaded SQLite store back to its loaded state: every row a run adds (HTTP ingest, raw
 * ceiling) is an operate log timed at or after DATA_END_MS. Each run thus starts from the same
 * data; the store drops the search entries of removed rows itself when it next opens.
 */
function resetSqlite(path: string): void {
  const db = new Database(path);
  try {
    const { changes } = db.prepare('DELETE FROM operate_logs WHERE record_time >= ?').run(DATA_END_MS);
    if (changes > 0) {
      process.stderr.write(`  sqlite: removed ${changes.toLocaleString('en')} rows of an earlier run\n`);
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  } finally {
    db.close();
  }
}

/** The same for PostgreSQL: the rows of earlier runs removed, then VACUUM ANALYZE. */
export async function resetPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const removed = await client.query('DELETE FROM operate_logs WHERE record_time >= $1', [DATA_END_MS]);
    await client.query('DELETE FROM operate_log_keys WHERE record_time >= $1', [DATA_END_MS]);
    if ((removed.rowCount ?? 0) > 0) {
      process.stderr.write(
        `  postgres: removed ${(removed.rowCount ?? 0).toLocaleString('en')} rows of an earlier run\n`,
      );
      await client.query('VACUUM ANALYZE operate_logs, operate_log_keys');
    }
  } finally {
    await client.end();
  }
}
