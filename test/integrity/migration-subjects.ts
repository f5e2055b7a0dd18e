/**
 * The stores migrate-resume.test.ts migrates: a SQLite file or a PostgreSQL schema holding rows of
 * an older version, read in the test's own SQL while `sealog migrate` works on them (how far it
 * got), and afterwards (everything a log is recomputed from, for log-rebuild.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AuditStore } from '../../src/domain/audit-store.js';
import { loadMasterKeys } from '../../src/sealing/master-keys.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { writeLegacyPostgres, writeLegacySqlite, type LegacyRows } from '../helpers/legacy-store.js';
import { createTestSchema } from '../helpers/postgres-schema.js';
import { withoutColumns, type RawStore } from './log-rebuild.js';

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

const TABLES = ['communication_logs', 'mfa_config_audit_logs', 'operate_logs', 'access_logs'];

/** How far a migration got, as the database shows it. */
export interface MigrationState {
  /** Rows sealed and still unsealed; undefined before the schema has the `sealed` column. */
  sealed?: { done: number; left: number };
  /** Leaves numbered (0 before the integrity log exists). */
  leaves: number;
  /** Leaves numbered per kind. */
  leavesByKind: Map<string, number>;
  /** Kinds whose numbering has a position and is not marked done (perhaps with nothing left to number). */
  kindsMidway: string[];
}

/** Everything a log is recomputed from, read at once. */
export interface StoreSnapshot extends RawStore {
  /** Every log's state, by `${tenant}/${kind}`. */
  logs: Map<string, { assigned: number; tree_size: number; root: Buffer }>;
  /** Every leaf: `${tenant}/${kind}` → record_id/transition in leaf order. */
  leafNames: Map<string, string[]>;
  /** Every stored row of every log table, by `${table}/${tenant}/${id}`. */
  rows: Map<string, Record<string, unknown>>;
  /** Every transition as stored, by `${tenant}/${log_id}`, in seq order (without seq, txid). */
  histories: Map<string, Record<string, unknown>[]>;
}

/** A store under test: its DATABASE_URL and reads of its own. */
export interface MigrationSubject {
  env: Record<string, string>;
  state(): Promise<MigrationState>;
  snapshot(): Promise<StoreSnapshot>;
  /** The store opened in this process with the same keys (not migrated again); the caller closes it. */
  open(): AuditStore;
  dispose(): Promise<void>;
}

async function stateOf(query: Query, no: string): Promise<MigrationState> {
  const count = async (sql: string) => Number((await query(sql))[0]?.n ?? 0);
  let sealed: MigrationState['sealed'];
  try {
    let done = 0;
    let left = 0;
    for (const table of TABLES) {
      done += await count(`SELECT count(*) AS n FROM ${table} WHERE sealed IS NOT NULL`);
      left += await count(`SELECT count(*) AS n FROM ${table} WHERE sealed IS NULL`);
    }
    sealed = { done, left };
  } catch {
    sealed = undefined; // the sealing migration has not committed yet
  }
  try {
    const leavesByKind = new Map(
      (await query('SELECT kind, count(*) AS n FROM integrity_leaves GROUP BY kind')).map((row) => [
        String(row.kind),
        Number(row.n),
      ]),
    );
    const midway = await query(
      `SELECT kind FROM integrity_backfill WHERE after_id IS NOT NULL AND done = ${no}`,
    );
    return {
      sealed,
      leaves: [...leavesByKind.values()].reduce((sum, n) => sum + n, 0),
      leavesByKind,
      kindsMidway: midway.map((row) => String(row.kind)),
    };
  } catch {
    return { sealed, leaves: 0, leavesByKind: new Map(), kindsMidway: [] };
  }
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

async function snapshotOf(query: Query): Promise<StoreSnapshot> {
  const key = (...parts: unknown[]) => parts.map(String).join('/');
  const logs = new Map<string, { assigned: number; tree_size: number; root: Buffer }>();
  for (const row of await query('SELECT tenant_id, kind, assigned, tree_size, root FROM integrity_logs')) {
    logs.set(key(row.tenant_id, row.kind), {
      assigned: Number(row.assigned),
      tree_size: Number(row.tree_size),
      root: Buffer.from(row.root as Uint8Array),
    });
  }
  const leafNames = new Map<string, string[]>();
  const leafRows = new Map<string, { record_id: string; transition: number }[]>();
  for (const row of await query(
    'SELECT tenant_id, kind, record_id, transition FROM integrity_leaves ORDER BY tenant_id, kind, leaf_index',
  )) {
    const log = key(row.tenant_id, row.kind);
    const leaf = { record_id: String(row.record_id), transition: Number(row.transition) };
    append(leafRows, log, leaf);
    append(leafNames, log, `${leaf.record_id}/${leaf.transition}`);
  }
  const rows = new Map<string, Record<string, unknown>>();
  for (const table of TABLES) {
    for (const row of await query(`SELECT * FROM ${table}`)) {
      rows.set(key(table, row.tenant_id, row.id), withoutColumns(row, 'seq'));
    }
  }
  const histories = new Map<string, Record<string, unknown>[]>();
  for (const row of await query('SELECT * FROM communication_log_transitions ORDER BY seq')) {
    append(histories, key(row.tenant_id, row.log_id), withoutColumns(row, 'seq', 'txid'));
  }
  return {
    logs,
    leafNames,
    rows,
    histories,
    leaves: (tenant, kind) => Promise.resolve(leafRows.get(key(tenant, kind)) ?? []),
    record: (table, tenant, id) => Promise.resolve(rows.get(key(table, tenant, id)) ?? {}),
    history: (tenant, logId) => Promise.resolve(histories.get(key(tenant, logId)) ?? []),
  };
}

/** A SQLite file holding `rows` at the version before sealing. */
export function sqliteSubject(rows: LegacyRows, dataKey: string): MigrationSubject {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-migrate-resume-'));
  const path = join(dir, 'sealog.db');
  writeLegacySqlite(path, rows);
  let reader: Database.Database | undefined;
  // One read-only connection for the test's reads; it sees each commit of the migrating process.
  const query: Query = (sql) => {
    reader ??= new Database(path, { readonly: true });
    return Promise.resolve(reader.prepare(sql).all() as Record<string, unknown>[]);
  };
  return {
    env: { DATABASE_URL: `sqlite:${path}`, DATA_KEY: dataKey },
    state: () => stateOf(query, '0'),
    snapshot: () => snapshotOf(query),
    open: () => new SqliteStore(path, { masterKeys: loadMasterKeys(dataKey, dir) }),
    dispose: () => {
      reader?.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** A PostgreSQL schema of its own holding `rows` at the version before sealing. */
export async function postgresSubject(rows: LegacyRows, dataKey: string): Promise<MigrationSubject> {
  const schema = await createTestSchema();
  try {
    await writeLegacyPostgres(schema.url, rows);
  } catch (error) {
    await schema.drop();
    throw error;
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const client = new pg.Client({ connectionString: schema.url, types });
  await client.connect();
  const query: Query = async (sql) => (await client.query<Record<string, unknown>>(sql)).rows;
  return {
    env: { DATABASE_URL: schema.url, DATA_KEY: dataKey },
    state: () => stateOf(query, 'false'),
    snapshot: () => snapshotOf(query),
    open: () =>
      new PostgresStore(
        { url: schema.url, poolSize: 2, statementTimeoutMs: 60_000, unavailableTimeoutMs: 5_000 },
        Date.now,
        { masterKeys: loadMasterKeys(dataKey, '.') },
      ),
    dispose: async () => {
      await client.end();
      await schema.drop();
    },
  };
}
