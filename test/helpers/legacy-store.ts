/**
 * Stores as an older sealog left them, before sealed personal fields and the integrity log: the
 * schema migrated only that far (SQLite version 5, PostgreSQL version 4) and rows written in the
 * test's own SQL, personal fields in plaintext, some communication logs with a delivery history.
 * `sealog migrate` then has rows to seal and number. The same seed gives the same rows.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { applyMigrations as migrateSqlite } from '../../src/storage/sqlite/migrations.js';
import { applyMigrations as migratePostgres } from '../../src/storage/postgres/migrations.js';
import {
  communicationLog,
  digits,
  generator,
  mfaLog,
  operateLog,
  pick,
  timeMs,
  token,
  type Random,
  type Row,
} from './log-events.js';

/** The last schema version before sealing: SQLite's, PostgreSQL's. */
export const LEGACY_VERSION = { sqlite: 5, postgres: 4 } as const;

/** Rows of an older store, by table, as stored (times in epoch ms, every column present). */
export interface LegacyRows {
  communication_logs: Row[];
  /** In the order stored (their seq order), without seq. */
  communication_log_transitions: Row[];
  mfa_config_audit_logs: Row[];
  operate_logs: Row[];
  access_logs: Row[];
}

/** Each log table's time column, for PostgreSQL's id-claim tables. */
const TIME_COLUMN: Record<string, string> = {
  communication_logs: 'created_at',
  mfa_config_audit_logs: 'timestamp',
  operate_logs: 'record_time',
  access_logs: 'accessed_at',
};

const ms = (iso: string | number | null | undefined) => (typeof iso === 'string' ? Date.parse(iso) : null);

/** A communication log as stored, and the legacy history that brought it where it is. */
function storedCommunicationLog(random: Random, tenant: string, id: string): { log: Row; history: Row[] } {
  const sent = communicationLog(random, id, 'fresh');
  const created = ms(sent.created_at) ?? 0;
  const log: Row = {
    tenant_id: tenant,
    ...sent,
    status: sent.status ?? 'pending',
    error: null,
    response: sent.response ?? null,
    sent_at: ms(sent.sent_at),
    created_at: created,
    updated_at: created,
  };
  const history: Row[] = [];
  const move = (to: string, fields: Row) => {
    const changed = (Number(log.updated_at) || created) + 1 + Math.floor(random() * 60_000);
    const step: Row = {
      tenant_id: tenant,
      log_id: id,
      from_status: log.status ?? 'pending',
      to_status: to,
      error: null,
      response: null,
      sent_at: null,
      changed_at: changed,
      ...fields,
    };
    history.push(step);
    // A transition sets what it carries and leaves the rest as it was.
    log.status = to;
    for (const column of ['error', 'response', 'sent_at'] as const) {
      if (step[column] !== null) log[column] = step[column] ?? null;
    }
    log.updated_at = changed;
  };
  if (log.status === 'pending' && random() < 0.5) {
    move('sent', { response: `queued ${token(random, 6)}`, sent_at: created + 1000 });
  }
  if (log.status === 'sent' && random() < 0.6) {
    if (random() < 0.7) move('delivered', { response: 'DELIVRD' });
    else move('failed', { error: pick(random, ['unreachable', 'bounced', 'blocked by carrier']) });
  }
  return { log, history };
}

/** How many records of each kind an older store holds. */
export interface LegacyCounts {
  communication: number;
  mfa: number;
  operate: number;
  access: number;
}

/** The rows of an older store from `seed`: `counts` records of each kind spread over `tenants`, ids unique per kind. */
export function legacyRows(seed: number, counts: LegacyCounts, tenants: readonly string[]): LegacyRows {
  const random = generator(seed);
  const rows: LegacyRows = {
    communication_logs: [],
    communication_log_transitions: [],
    mfa_config_audit_logs: [],
    operate_logs: [],
    access_logs: [],
  };
  for (let n = 0; n < counts.communication; n++) {
    const { log, history } = storedCommunicationLog(
      random,
      pick(random, tenants),
      `log_${n}_${token(random, 6)}`,
    );
    rows.communication_logs.push(log);
    rows.communication_log_transitions.push(...history);
  }
  for (let n = 0; n < counts.mfa; n++) {
    const mfa = mfaLog(random, `mfa_${n}_${token(random, 6)}`);
    rows.mfa_config_audit_logs.push({
      tenant_id: pick(random, tenants),
      ...mfa,
      timestamp: ms(mfa.timestamp),
    });
  }
  for (let n = 0; n < counts.operate; n++) {
    rows.operate_logs.push({
      tenant_id: pick(random, tenants),
      ...operateLog(random, `op_${n}_${token(random, 6)}`),
    });
  }
  for (let n = 0; n < counts.access; n++) {
    rows.access_logs.push({
      tenant_id: pick(random, tenants),
      id: `acc_${n}_${token(random, 6)}`,
      accessed_at: timeMs(random),
      actor: `usr_${digits(random, 1)}`,
      api: 'authms',
      method: 'GET',
      route: '/admin/communication/logs',
      query: JSON.stringify({ user_id: `usr_${digits(random, 2)}` }),
      row_count: Math.floor(random() * 100),
      status: 200,
      error: '',
      ip: `10.1.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
      duration_ms: Math.floor(random() * 50),
    });
  }
  return rows;
}

/** How many leaves the rows make once numbered: one per record, one per transition. */
export function leafCount(rows: LegacyRows): number {
  return (Object.values(rows) as Row[][]).reduce((sum, table) => sum + table.length, 0);
}

/** How many records (not transitions) the rows hold: the rows sealing goes over. */
export function recordCount(rows: LegacyRows): number {
  return leafCount(rows) - rows.communication_log_transitions.length;
}

/** Writes a SQLite file at `path` at the schema version before sealing, holding `rows`. */
export function writeLegacySqlite(path: string, rows: LegacyRows): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    migrateSqlite(db, LEGACY_VERSION.sqlite);
    db.transaction(() => {
      for (const [table, list] of Object.entries(rows) as [string, Row[]][]) {
        const columns = Object.keys(list[0] ?? {});
        if (columns.length === 0) continue;
        const insert = db.prepare(
          `INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')})
           VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
        );
        for (const row of list) insert.run(row);
      }
    })();
  } finally {
    db.close();
  }
}

/** Migrates the empty schema of `url` to the version before sealing and writes `rows` into it. */
export async function writeLegacyPostgres(url: string, rows: LegacyRows): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migratePostgres(client, LEGACY_VERSION.postgres);
    for (const [table, list] of Object.entries(rows) as [string, Row[]][]) {
      const columns = Object.keys(list[0] ?? {}).map((column) => `"${column}"`);
      if (columns.length === 0) continue;
      const keys = table === 'communication_log_transitions' ? undefined : `${table.replace(/s$/, '')}_keys`;
      for (let start = 0; start < list.length; start += 5000) {
        const chunk = JSON.stringify(list.slice(start, start + 5000));
        const source = `json_populate_recordset(null::${table}, $1::json)`;
        // A log row and its id claim (which also names its partition), as sealog wrote both.
        if (keys !== undefined) {
          const time = `"${TIME_COLUMN[table] ?? ''}"`;
          await client.query(
            `INSERT INTO ${keys} (tenant_id, id, ${time}) SELECT tenant_id, id, ${time} FROM ${source}`,
            [chunk],
          );
        }
        await client.query(
          `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${source}`,
          [chunk],
        );
      }
    }
  } finally {
    await client.end();
  }
}
