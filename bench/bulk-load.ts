import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { benchSealing } from './bench-keys.js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { logTableNamed } from '../src/kinds/log-tables.js';
import { storedColumns, type LogRow, type LogTable } from '../src/kinds/log-table.js';
import { newRecordLeafHashes } from '../src/integrity/leaves/leaf-builder.js';
import { HASH_BYTES } from '../src/integrity/merkle/rfc6962-hashing.js';
import { writeOperations } from '../src/storage/sqlite/engine/write-operations.js';
import { LoaderSealer } from './bench-sealer.js';
import { searchFilePath } from '../src/storage/sqlite/search/search-index-file.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { communicationLog, DATA_END_MS, mfaConfigAuditLog, operateLog } from './data-generator.js';
import { knownMigrations as knownSqliteMigrations } from '../src/storage/sqlite/migrations.js';
import { knownMigrations as knownPostgresMigrations } from '../src/storage/postgres/migrations.js';

/** Bumped whenever the generator or the loaded schema changes, so stale cached data is never reused. */
const DATA_VERSION = 5;

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
  if (existsSync(marker) && existsSync(path)) {
    const db = new Database(path, { readonly: true });
    let applied: { version: number; name: string }[];
    try {
      applied = db.prepare('SELECT version, name FROM schema_migrations').all() as typeof applied;
    } finally {
      db.close();
    }
    const foreign = foreignMigration(applied, knownSqliteMigrations());
    if (foreign !== undefined) {
      process.stderr.write(`  ${path} was migrated by another build (${foreign}): loading it again\n`);
      rmSync(marker);
    }
  }
  if (!existsSync(marker) || !existsSync(path)) {
    await insertSqliteRows(path, rows);
    writeFileSync(marker, new Date().toISOString());
  } else {
    resetSqlite(path);
  }
  await settleSqlite(path);
}

/**
 * Opens the loaded SQLite store at `path` once, outside any timed window: the later migrations as
 * on an upgrade, the search file filled by the store's own indexer, every loaded row hashed into
 * its log's tree.
 */
export async function settleSqlite(path: string): Promise<void> {
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
    const reader = new Database(path, { readonly: true });
    try {
      const sizes = reader
        .prepare(
          'SELECT coalesce(sum(assigned), 0) AS assigned, coalesce(sum(tree_size), 0) AS hashed FROM integrity_logs',
        )
        .bind();
      const { assigned } = sizes.get() as { assigned: number };
      await waitForTrees('sqlite', assigned, () =>
        Promise.resolve((sizes.get() as { hashed: number }).hashed),
      );
    } finally {
      reader.close();
    }
  } finally {
    await store.close();
  }
}

function seconds(sinceMs: number): string {
  return ((performance.now() - sinceMs) / 1000).toFixed(0);
}

/**
 * The rows in their stored form, through the store's own write operations (sealed columns, subject
 * keys, tallies, leaf numbers, exactly as the writer thread stores a batch), 10,000 rows per
 * transaction with synchronous=OFF: the store is created at the current schema first.
 */
async function insertSqliteRows(path: string, rows: number): Promise<void> {
  const db = await emptySqliteForLoading(path);
  const sealer = new LoaderSealer();
  for (const { table, make } of TABLES)
    await insertSealedSqlite(db, sealer, table, rows, (i) => make(i, rows));
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * Rows 0 … count-1 of `make` into `table` of a store opened by emptySqliteForLoading, sealed by
 * `sealer` and stored through the writer's own write operations, 10,000 per transaction.
 */
export async function insertSealedSqlite(
  db: Database.Database,
  sealer: LoaderSealer,
  table: string,
  count: number,
  make: (i: number) => Record<string, unknown>,
  label = `sqlite ${table}`,
): Promise<void> {
  const write = writeOperations(db);
  const logTable = logTableNamed(table);
  if (logTable === undefined) throw new Error(`no log table ${table}`);
  const started = performance.now();
  const chunk = 10_000;
  for (let from = 0; from < count; from += chunk) {
    const batch: LogRow[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i++) batch.push(make(i) as unknown as LogRow);
    const sealed = await sealer.seal(logTable, batch);
    db.transaction(() =>
      write({ type: 'insert-rows', table, rows: sealed.rows, subjectKeys: sealed.newKeys }),
    )();
    if ((from / chunk) % 5 === 4 || from + chunk >= count) {
      report(label, Math.min(count, from + chunk), count, started);
    }
  }
}

/** The claim rows of sealed `rows`, each with its leaf hash in bytea's hex form. */
function claimsOf(table: LogTable, rows: readonly LogRow[]): Record<string, unknown>[] {
  const hashes = newRecordLeafHashes(table.kind, rows);
  if (hashes === undefined) throw new Error(`${table.kind}: a generated row makes no leaf`);
  return rows.map((row, position) => ({
    ...row,
    leaf_hash: `\\x${hashes.toString('hex', position * HASH_BYTES, (position + 1) * HASH_BYTES)}`,
  }));
}

/**
 * A new, empty SQLite store at `path` (any older one and its search file removed), created at the
 * current schema and opened for bulk loading: WAL, synchronous=OFF, a large page cache.
 */
export async function emptySqliteForLoading(path: string): Promise<Database.Database> {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  for (const file of [path, searchFilePath(path)]) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
  const created = new SqliteStore(path, benchSealing());
  await created.migrate();
  await created.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  return db;
}

/** COPY text format: tabs, newlines and backslashes escaped, null as \N. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`cannot COPY ${typeof value}`);
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

const SUBJECT_KEY_COLUMNS = ['tenant_id', 'key_id', 'subject', 'master_key_id', 'wrapped', 'created_at'];

/** Streams `records` (their `columns`) into a table through COPY on one client. */
async function copyRecords(
  client: pg.Client,
  table: string,
  columns: readonly string[],
  records: readonly object[],
): Promise<void> {
  if (records.length === 0) return;
  await copyRows(client, table, columns, (i) => records[i] as Record<string, unknown>, 0, records.length);
}

/**
 * Waits, with a progress line, until the integrity logs' trees hold `leaves` leaves: the store
 * open in this process numbers and hashes the loaded rows, outside every timed window.
 */
async function waitForTrees(store: string, leaves: number, hashed: () => Promise<number>): Promise<void> {
  const started = performance.now();
  for (let first = true; ; first = false) {
    const done = await hashed();
    if (first && done >= leaves) {
      // The writes hashed their own leaves as they stored them (the embedded store does).
      process.stderr.write(
        `  ${store} integrity log: ${leaves.toLocaleString('en')} leaves in the trees already\n`,
      );
      return;
    }
    report(`${store} integrity log`, Math.min(done, leaves), leaves, started);
    if (done >= leaves) return;
    await sleep(2000);
  }
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
  // One loader per schema at a time: a second one (another bench run of the same size) waits for
  // the first and then finds its data, instead of dropping the schema under it.
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`sealog bench load ${schema}`]);
    return await loadPostgresLocked(databaseUrl, schema, rows);
  } finally {
    await lock.end();
  }
}

/** loadPostgres, under its schema's lock. */
async function loadPostgresLocked(databaseUrl: string, schema: string, rows: number): Promise<string> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const done = await admin.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'bench_loaded_v${DATA_VERSION}'`,
      [schema],
    );
    if (done.rowCount === 1) {
      const applied = await admin.query<{ version: number; name: string }>(
        `SELECT version, name FROM ${schema}.schema_migrations`,
      );
      const foreign = foreignMigration(applied.rows, knownPostgresMigrations());
      if (foreign === undefined) return schemaUrl(databaseUrl, schema);
      process.stderr.write(
        `  schema ${schema} was migrated by another build (${foreign}): loading it again\n`,
      );
    }
  } finally {
    await admin.end();
  }
  const url = await freshPostgresSchema(databaseUrl, schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET maintenance_work_mem = '1GB'");
    // The partitions of the loaded months (August to November 2026), which COPY does not create.
    await addMonthlyPartitions(client, Date.UTC(2026, 7, 1), Date.UTC(2026, 11, 1));
    await client.query('DROP INDEX operate_logs_by_search_text');
    const sealer = new LoaderSealer();
    for (const { table, make } of TABLES)
      await copySealedPostgres(client, sealer, table, rows, (i) => make(i, rows));
    await sequencePostgres(url, client, 3 * rows);
    await buildTrigramIndex(client);
    for (const { table, keysTable } of TABLES) await client.query(`VACUUM ANALYZE ${table}, ${keysTable}`);
    await client.query(`CREATE TABLE bench_loaded_v${DATA_VERSION} (loaded_at timestamptz DEFAULT now())`);
  } finally {
    await client.end();
  }
  return url;
}

/**
 * What shows that a store's applied migrations (its schema_migrations) are not this build's: a
 * version this build names otherwise or does not know, as a branch's own numbering leaves behind.
 * Such a store cannot be opened by this build (its next migration would meet tables it already
 * has), so its cached data is loaded again. Undefined when every applied migration is this
 * build's; missing later ones are applied on open, as on an upgrade.
 */
export function foreignMigration(
  applied: readonly { version: number; name: string }[],
  known: readonly { version: number; name: string }[],
): string | undefined {
  const names = new Map(known.map(({ version, name }) => [version, name]));
  for (const { version, name } of applied) {
    const ours = names.get(version);
    if (ours === undefined) return `version ${version}, "${name}", is unknown here`;
    if (ours !== name) return `version ${version} is "${name}" there, "${ours}" here`;
  }
  return undefined;
}

/** `databaseUrl` with its search_path set to `schema`: what a server of that schema is given. */
export function schemaUrl(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** A store that numbers and hashes what the loader stored: its clock is the loaded data's. */
function loaderStore(url: string): PostgresStore {
  return new PostgresStore(
    { url, poolSize: 2, statementTimeoutMs: 3_600_000, unavailableTimeoutMs: 60_000 },
    () => Date.UTC(2026, 10, 1),
    benchSealing(),
  );
}

/** Schema `schema` dropped if present and created empty at the current schema version; its URL. */
export async function freshPostgresSchema(databaseUrl: string, schema: string): Promise<string> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = schemaUrl(databaseUrl, schema);
  const store = loaderStore(url);
  await store.migrate();
  await store.close();
  return url;
}

/** Monthly partitions of every loaded log table for the months from `fromMs` to before `toMs` (UTC month starts). */
export async function addMonthlyPartitions(client: pg.Client, fromMs: number, toMs: number): Promise<void> {
  for (const { table, time } of TABLES) {
    for (let start = fromMs; start < toMs;) {
      const date = new Date(start);
      const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      const suffix = `p${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
      await client.query('SELECT sealog_add_partition($1, $2, $3, $4, $5)', [
        table,
        time,
        suffix,
        start,
        end,
      ]);
      start = end;
    }
  }
}

/**
 * Rows 0 … count-1 of `make` into `table`, sealed as a server seals them, stored by COPY with their
 * id claims (leaf hashes included, as a server stores them: the sequencer need not read rows back)
 * and new subject keys, 50,000 rows per transaction, which the sequencer numbers in txid order.
 */
export async function copySealedPostgres(
  client: pg.Client,
  sealer: LoaderSealer,
  table: string,
  count: number,
  make: (i: number) => Record<string, unknown>,
  label = `postgres ${table}`,
): Promise<void> {
  const logTable = logTableNamed(table);
  const kind = TABLES.find((candidate) => candidate.table === table);
  if (logTable === undefined || kind === undefined) throw new Error(`no log table ${table}`);
  const columns = storedColumns(logTable).map(([column]) => column);
  const started = performance.now();
  const chunk = 50_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk);
    const batch: LogRow[] = [];
    for (let i = from; i < to; i++) batch.push(make(i) as unknown as LogRow);
    const sealed = await sealer.seal(logTable, batch);
    await client.query('BEGIN');
    await copyRecords(client, table, columns, sealed.rows);
    await copyRecords(
      client,
      kind.keysTable,
      ['tenant_id', 'id', kind.time, 'leaf_hash'],
      claimsOf(logTable, sealed.rows),
    );
    await copyRecords(client, 'subject_keys', SUBJECT_KEY_COLUMNS, sealed.newKeys);
    await client.query('COMMIT');
    report(label, to, count, started);
  }
}

/**
 * Numbers and hashes the loaded rows into their logs' trees (a store opened here runs the
 * sequencer) and waits until the trees hold `leaves` leaves in all.
 */
export async function sequencePostgres(url: string, client: pg.Client, leaves: number): Promise<void> {
  // Statistics first: on tables just filled by COPY the sequencer's planner guessed badly (one
  // of its queries ran for minutes on a million rows).
  for (const { table, keysTable } of TABLES) await client.query(`ANALYZE ${table}, ${keysTable}`);
  const sequencer = loaderStore(url);
  await sequencer.migrate();
  try {
    let analyzedAt = 0;
    await waitForTrees('postgres', leaves, async () => {
      const { rows: sizes } = await client.query<{ hashed: string }>(
        'SELECT coalesce(sum(tree_size), 0)::text AS hashed FROM integrity_logs',
      );
      const hashed = Number(sizes[0]?.hashed ?? 0);
      // integrity_leaves starts empty, and the sequencer's anti-join against it kept a plan made
      // for an empty table: at 2.2 million rows a step stalled for minutes at 100,000 leaves until
      // the table was analyzed (autovacuum had not yet). Fresh statistics each time it doubles.
      if (hashed >= 2 * analyzedAt + 10_000) {
        await client.query('ANALYZE integrity_leaves');
        analyzedAt = hashed;
      }
      return hashed;
    });
  } finally {
    await sequencer.close();
  }
}

/** The trigram GIN index of operate_logs, built after a load that dropped it (much faster than row by row). */
export async function buildTrigramIndex(client: pg.Client): Promise<void> {
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
}

/**
 * Brings a loaded SQLite store back to its loaded state: every row a run adds (HTTP ingest, raw
 * ceiling) is an operate log timed at or after DATA_END_MS. Each run thus starts from the same
 * data; the store drops the search entries of removed rows itself when it next opens.
 */
export function resetSqlite(path: string): void {
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
