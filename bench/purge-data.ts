import Database from 'better-sqlite3';
import pg from 'pg';
import { logTableNamed } from '../src/kinds/log-tables.js';
import {
  addMonthlyPartitions,
  buildTrigramIndex,
  copySealedPostgres,
  emptySqliteForLoading,
  freshPostgresSchema,
  insertSealedSqlite,
  sequencePostgres,
  settleSqlite,
} from './bulk-load.js';
import { LoaderSealer } from './bench-sealer.js';
import { communicationLog, DATA_END_MS, operateLog } from './data-generator.js';
import type { LoadedKind, PurgeChecks } from './purge-results.js';
import type { StoreTarget } from './read-ceiling.js';
import type { ServerProcess } from './server-process.js';

const DAY_MS = 86_400_000;
/** Expired rows end this long before now: past every kind's default retention (at most 365 days here). */
const EXPIRED_AGE_DAYS = 400;
/** Days the expired rows span, and at most the recent rows. */
const SPAN_DAYS = 90;
/** Recent rows per expired row of a kind. */
const RECENT_SHARE = 0.1;

/** One kind the purge bench loads: operate logs (with search entries) and communication logs (with transitions). */
interface KindSource {
  table: string;
  /** Share of the expired rows. */
  share: number;
  make: (i: number, total: number) => Record<string, unknown>;
  /** Every time field of a row (the record time first): all move together when a row is re-dated. */
  timeFields: readonly string[];
}

const SOURCES: readonly KindSource[] = [
  {
    table: 'operate_logs',
    share: 0.75,
    make: (i, total) => ({ ...operateLog(i, total) }),
    timeFields: ['record_time'],
  },
  {
    table: 'communication_logs',
    share: 0.25,
    make: (i, total) => ({ ...communicationLog(i, total) }),
    timeFields: ['created_at', 'sent_at', 'updated_at'],
  },
];

/** What the purge bench loads into a store, and when its rows are dated. */
export interface PurgePlan {
  kinds: (LoadedKind & { table: string })[];
  /** The expired rows' record times: [from, to), epoch ms. */
  expiredFromMs: number;
  expiredToMs: number;
  /** The recent rows' record times: [from, to), epoch ms. */
  recentFromMs: number;
  recentToMs: number;
}

/**
 * `expiredRows` rows older than their kind's default retention (400 to 490 days old: operate logs
 * keep 365 days, communication logs 180), three quarters operate logs and a quarter communication
 * logs, plus a tenth as many recent rows of each that must stay: those are dated as the main
 * bench's data (the 90 days before DATA_END_MS), or within the last 150 days when run later.
 */
export function purgePlan(expiredRows: number, nowMs: number): PurgePlan {
  const operate = Math.round(expiredRows * (SOURCES[0]?.share ?? 1));
  const recentToMs = Math.min(DATA_END_MS, nowMs - DAY_MS);
  return {
    kinds: SOURCES.map(({ table }, n) => {
      const expired = n === 0 ? operate : expiredRows - operate;
      const kind = logTableNamed(table)?.kind ?? table;
      return { table, kind, expired, recent: Math.max(1000, Math.round(expired * RECENT_SHARE)) };
    }),
    expiredFromMs: nowMs - (EXPIRED_AGE_DAYS + SPAN_DAYS) * DAY_MS,
    expiredToMs: nowMs - EXPIRED_AGE_DAYS * DAY_MS,
    recentFromMs: Math.max(recentToMs - SPAN_DAYS * DAY_MS, nowMs - 150 * DAY_MS),
    recentToMs,
  };
}

/**
 * Row i of a kind in the plan: the generator's row i (ids, tenants, users and content as the main
 * bench makes them), re-dated evenly over the expired span (i < expired), then over the recent one.
 */
function planRow(plan: PurgePlan, source: KindSource, expired: number, recent: number) {
  return (i: number): Record<string, unknown> => {
    const row = source.make(i, expired + recent);
    const [from, to, position, count] =
      i < expired
        ? [plan.expiredFromMs, plan.expiredToMs, i, expired]
        : [plan.recentFromMs, plan.recentToMs, i - expired, recent];
    const delta =
      from + Math.floor((position * (to - from)) / count) - Number(row[source.timeFields[0] ?? '']);
    for (const field of source.timeFields) {
      if (typeof row[field] === 'number') row[field] += delta;
    }
    return row;
  };
}

/** Rows, the leaves of every row, the search file: a fresh SQLite store at `path`, untimed. */
export async function loadSqlitePurgeStore(path: string, plan: PurgePlan): Promise<void> {
  const db = await emptySqliteForLoading(path);
  const sealer = new LoaderSealer();
  try {
    for (const [n, { table, expired, recent }] of plan.kinds.entries()) {
      const source = SOURCES[n] as KindSource;
      await insertSealedSqlite(db, sealer, table, expired + recent, planRow(plan, source, expired, recent));
    }
    db.exec('ANALYZE');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  await settleSqlite(path);
}

/**
 * The same in a fresh PostgreSQL schema: monthly partitions from the oldest row's month to the
 * month after now (a store that has run that long has them), rows by COPY, leaves sequenced and
 * hashed, the trigram index built after; returns the schema's URL.
 */
export async function loadPostgresPurgeStore(
  databaseUrl: string,
  schema: string,
  plan: PurgePlan,
  nowMs: number,
): Promise<string> {
  const url = await freshPostgresSchema(databaseUrl, schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET maintenance_work_mem = '1GB'");
    const first = new Date(plan.expiredFromMs);
    const now = new Date(nowMs);
    await addMonthlyPartitions(
      client,
      Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1),
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1),
    );
    await client.query('DROP INDEX operate_logs_by_search_text');
    const sealer = new LoaderSealer();
    let leaves = 0;
    for (const [n, { table, expired, recent }] of plan.kinds.entries()) {
      const source = SOURCES[n] as KindSource;
      await copySealedPostgres(
        client,
        sealer,
        table,
        expired + recent,
        planRow(plan, source, expired, recent),
      );
      leaves += expired + recent;
    }
    await sequencePostgres(url, client, leaves);
    await buildTrigramIndex(client);
    for (const { table } of plan.kinds) {
      await client.query(`VACUUM ANALYZE ${table}, ${logTableNamed(table)?.keysTable ?? table}`);
    }
  } finally {
    await client.end();
  }
  return url;
}

/**
 * Delivery receipts for up to `limit` expired communication logs still pending or sent, over HTTP
 * (so they are stored as the server stores them, leaves included): a pending log moves to sent,
 * then delivered (two transitions), a sent one to delivered. Untimed. Returns the transitions made.
 */
export async function recordTransitions(
  server: ServerProcess,
  writerToken: string,
  plan: PurgePlan,
  limit: number,
): Promise<number> {
  const kind = plan.kinds[1];
  if (kind === undefined) return 0;
  const receipts: { tenant: string; id: string; statuses: string[] }[] = [];
  for (let i = 0; i < kind.expired && receipts.length < limit; i++) {
    const log = communicationLog(i, kind.expired + kind.recent);
    if (log.status === 'pending')
      receipts.push({ tenant: log.tenant_id, id: log.id, statuses: ['sent', 'delivered'] });
    if (log.status === 'sent') receipts.push({ tenant: log.tenant_id, id: log.id, statuses: ['delivered'] });
  }
  let made = 0;
  const worker = async () => {
    for (let next = receipts.pop(); next !== undefined; next = receipts.pop()) {
      for (const status of next.statuses) {
        const response = await fetch(`${server.url}/v1/ingest/communication-logs/${next.id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${writerToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status, tenant_id: next.tenant }),
        });
        const answer = await response.text();
        if (response.status !== 200) throw new Error(`receipt ${next.id}: ${response.status} ${answer}`);
        made++;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return made;
}

/** A count query on either store: `?` placeholders (numbered for PostgreSQL). */
type Counter = (sql: string, params: readonly (string | number)[]) => Promise<number>;

async function withCounter<T>(target: StoreTarget, use: (count: Counter) => Promise<T>): Promise<T> {
  if (target.store === 'sqlite') {
    const db = new Database(target.path, { readonly: true });
    try {
      return await use((sql, params) =>
        Promise.resolve(
          Number(
            db
              .prepare(sql)
              .pluck()
              .get(...params),
          ),
        ),
      );
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    return await use(async (sql, params) => {
      let n = 0;
      const result = await client.query<{ n: string }>(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      );
      return Number(result.rows[0]?.n ?? NaN);
    });
  } finally {
    await client.end();
  }
}

/**
 * The store after the purge, read on a connection of its own: no loaded expired row left (nor its
 * claim or leaf), every loaded recent row there (ingested rows have longer ids than the
 * generator's 11 (op_) and 12 (log_) characters), no transition without its log.
 */
export async function checkAfterPurge(
  target: StoreTarget,
  plan: PurgePlan,
  removed: number,
): Promise<PurgeChecks> {
  return withCounter(target, async (count) => {
    let expiredLeft = 0;
    let recentKept = 0;
    let orphanLeaves = 0;
    let claimsLeft: number | null = target.store === 'sqlite' ? null : 0;
    for (const { table, kind } of plan.kinds) {
      const logTable = logTableNamed(table);
      if (logTable === undefined) throw new Error(`no log table ${table}`);
      const time = `"${logTable.timeColumn}"`;
      expiredLeft += await count(`SELECT count(*) AS n FROM ${table} WHERE ${time} < ?`, [plan.expiredToMs]);
      recentKept += await count(
        `SELECT count(*) AS n FROM ${table} WHERE length(id) <= 12 AND ${time} >= ? AND ${time} < ?`,
        [plan.recentFromMs, plan.recentToMs],
      );
      orphanLeaves += await count(
        `SELECT count(*) AS n FROM integrity_leaves l WHERE l.kind = ?
           AND NOT EXISTS (SELECT 1 FROM ${table} r WHERE r.tenant_id = l.tenant_id AND r.id = l.record_id)`,
        [kind],
      );
      if (claimsLeft !== null) {
        claimsLeft += await count(`SELECT count(*) AS n FROM ${logTable.keysTable} WHERE ${time} < ?`, [
          plan.expiredToMs,
        ]);
      }
    }
    const orphanTransitions = await count(
      `SELECT count(*) AS n FROM communication_log_transitions t
        WHERE NOT EXISTS (SELECT 1 FROM communication_logs c WHERE c.tenant_id = t.tenant_id AND c.id = t.log_id)`,
      [],
    );
    const expected = plan.kinds.reduce((sum, kind) => sum + kind.expired, 0);
    const recentLoaded = plan.kinds.reduce((sum, kind) => sum + kind.recent, 0);
    const checks = {
      removedAllExpired: removed === expected,
      expiredLeft,
      recentKept,
      recentLoaded,
      orphanTransitions,
      orphanLeaves,
      claimsLeft,
    };
    return {
      ...checks,
      ok:
        checks.removedAllExpired &&
        expiredLeft === 0 &&
        recentKept === recentLoaded &&
        orphanTransitions === 0 &&
        orphanLeaves === 0 &&
        (claimsLeft ?? 0) === 0,
    };
  });
}
