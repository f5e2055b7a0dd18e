import type pg from 'pg';
import { compareUtf8 } from '../../../integrity/sequencing/leaf-order.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import type { LogTable } from '../../../kinds/log-table.js';
import { INGEST_MARK_TABLE } from '../citus/tenant-ingest.js';
import { awaitWorkerCommits } from '../citus/worker-commit-wait.js';

/** Rows numbered per kind and pass, about (a single transaction's rows are never split). */
const PASS_ROWS = 20_000;

/** A row to number: a record (rank 0) or a transition (rank ≥ 1), with the transaction that wrote it. */
interface Pending {
  txid: bigint;
  tenant_id: string;
  record_id: string;
  rank: number;
  seq: number;
}

interface PendingRow {
  txid: string;
  tenant_id: string;
  record_id: string;
  rank: number;
  seq: number;
}

/**
 * Numbers the leaves of every write that has finished, on `client` (the sequencer's own session,
 * which holds the sequencer lock): in one REPEATABLE READ transaction, the horizon H below which
 * every transaction has ended, then per kind the rows written by transactions in [cursor, H), in
 * (txid, id) order — a write's records in id order, each followed by its own transitions — then
 * the cursor moves to H. Rows that already have a leaf (a copy brought it) are skipped. Kinds whose
 * backfill has not finished wait. Returns the leaves numbered.
 *
 * `onCitus`: the horizon is the coordinator's, and a write spanning workers is below it before
 * the workers show it (two-phase commit); the pass first waits for such writes (see
 * awaitWorkerCommits) and numbers nothing when they do not finish in time.
 */
export async function assignFinishedWrites(client: pg.ClientBase, onCitus = false): Promise<number> {
  await analyzeUnanalyzed(client);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    // The first statement takes the snapshot: its xmin is the horizon.
    const { rows: horizonRows } = await client.query<{ horizon: string }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon',
    );
    const horizon = BigInt(horizonRows[0]?.horizon ?? '0');
    if (onCitus && !(await awaitWorkerCommits(client, [...WRITTEN_TABLES, INGEST_MARK_TABLE]))) {
      await client.query('ROLLBACK');
      return 0;
    }
    let numbered = 0;
    for (const table of LOG_TABLES) numbered += await assignKind(client, table, horizon);
    await client.query('COMMIT');
    return numbered;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The tables whose rows a pass numbers: each kind's keys (claims) and the transitions. */
const WRITTEN_TABLES = ['communication_log_transitions', ...LOG_TABLES.map((table) => table.keysTable)];

/** The tables a numbering pass probes: the leaves and the tables it numbers. */
const PROBED_TABLES = ['integrity_leaves', ...WRITTEN_TABLES];

/**
 * ANALYZEs the probed tables that hold rows and were never analyzed (a young schema, or one filled
 * faster than autovacuum's first visit). Without column statistics the planner guesses that
 * (tenant_id, kind) picks one leaf, probes integrity_leaves by its primary key and filters every
 * leaf of the tenant per pending row: under sustained ingest a pass then takes longer than the
 * writes it numbers (seen: 33 s for 66,000 rows at 2,000 leaves a tenant) and the logs fall behind
 * for good. Once analyzed, autovacuum keeps the statistics; the check is one catalog read a pass.
 */
async function analyzeUnanalyzed(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT relname FROM pg_stat_user_tables
      WHERE schemaname = current_schema() AND relname = ANY($1::text[])
        AND last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > 0`,
    [PROBED_TABLES],
  );
  // Names from the list above, never from input.
  for (const { relname } of rows) await client.query(`ANALYZE ${relname}`);
}

async function assignKind(client: pg.ClientBase, table: LogTable, horizon: bigint): Promise<number> {
  const { rows: state } = await client.query<{ txid: string; done: boolean }>(
    `SELECT c.txid::text AS txid, b.done FROM integrity_cursor c JOIN integrity_backfill b USING (kind)
      WHERE kind = $1`,
    [table.kind],
  );
  const position = state[0];
  if (position === undefined || !position.done) return 0;
  const cursor = BigInt(position.txid);
  if (cursor >= horizon) return 0;
  const next = await passEnd(client, table, cursor, horizon);
  const pending = await pendingRows(client, table, cursor, next);
  const numbered = await insertLeaves(client, table.kind, order(pending));
  await client.query('UPDATE integrity_cursor SET txid = $2::xid8 WHERE kind = $1', [
    table.kind,
    next.toString(),
  ]);
  return numbered;
}

/**
 * Where a pass over `table`'s writes from `cursor` ends: the horizon, or the first transaction
 * past PASS_ROWS rows (records or transitions), so a pass reads about PASS_ROWS rows however far
 * behind the log is; a transaction is never split (one larger than a pass is a pass of its own).
 * Reads only the txid indexes.
 */
async function passEnd(
  client: pg.ClientBase,
  table: LogTable,
  cursor: bigint,
  horizon: bigint,
): Promise<bigint> {
  const sources = [table.keysTable];
  if (table.table === COMMUNICATION_LOG_TABLE.table) sources.push('communication_log_transitions');
  let end = horizon;
  for (const source of sources) {
    const { rows } = await client.query<{ txid: string }>(
      `SELECT txid::text AS txid FROM ${source} WHERE txid >= $1::xid8 AND txid < $2::xid8
        ORDER BY txid OFFSET $3 LIMIT 1`,
      [cursor.toString(), end.toString(), PASS_ROWS],
    );
    if (rows[0] !== undefined) end = BigInt(rows[0].txid);
  }
  return end === cursor ? cursor + 1n : end;
}

/**
 * The records and transitions of `table` written by transactions in [from, until) without a leaf.
 * "Without a leaf" is a scalar subquery with LIMIT rather than NOT EXISTS: PostgreSQL cannot turn
 * it into an anti join, so it stays one probe of integrity_leaves_by_record per pending row
 * whatever the statistics say (an anti join planned on young tables rescanned every leaf per row).
 */
async function pendingRows(
  client: pg.ClientBase,
  table: LogTable,
  from: bigint,
  until: bigint,
): Promise<Pending[]> {
  const transitions =
    table.table === COMMUNICATION_LOG_TABLE.table
      ? `UNION ALL
         SELECT t.txid, t.tenant_id, t.log_id AS record_id,
                (SELECT count(*) FROM communication_log_transitions e
                  WHERE e.tenant_id = t.tenant_id AND e.log_id = t.log_id AND e.seq <= t.seq)::integer AS rank,
                t.seq
           FROM communication_log_transitions t
          WHERE t.txid >= $2::xid8 AND t.txid < $3::xid8`
      : '';
  const { rows } = await client.query<PendingRow>(
    `SELECT txid::text AS txid, tenant_id, record_id, rank, seq FROM (
       SELECT k.txid, k.tenant_id, k.id AS record_id, 0 AS rank, 0::bigint AS seq
         FROM ${table.keysTable} k
        WHERE k.txid >= $2::xid8 AND k.txid < $3::xid8
       ${transitions}
     ) AS pending
     WHERE (SELECT 1 FROM integrity_leaves l
             WHERE l.tenant_id = pending.tenant_id AND l.kind = $1
               AND l.record_id = pending.record_id AND l.transition = pending.rank
             LIMIT 1) IS NULL
     ORDER BY pending.txid, pending.rank, pending.record_id`,
    [table.kind, from.toString(), until.toString()],
  );
  return rows.map((row) => ({ ...row, txid: BigInt(row.txid) }));
}

/**
 * The leaf order of rows read in (txid) order: within one transaction its records in id order
 * (UTF-8 bytes), each followed by its own transitions in seq order, then the transaction's
 * transitions of other records in seq order — the order the embedded store numbers the same write.
 */
function order(rows: readonly Pending[]): Pending[] {
  const ordered: Pending[] = [];
  let start = 0;
  while (start < rows.length) {
    const txid = rows[start]?.txid;
    let end = start;
    while (end < rows.length && rows[end]?.txid === txid) end++;
    const group = rows.slice(start, end);
    const records = group
      .filter((row) => row.rank === 0)
      .sort((a, b) => compareUtf8(a.record_id, b.record_id));
    const transitions = group.filter((row) => row.rank > 0).sort((a, b) => a.seq - b.seq);
    const placed = new Set<Pending>();
    for (const record of records) {
      ordered.push(record);
      for (const transition of transitions) {
        if (transition.tenant_id === record.tenant_id && transition.record_id === record.record_id) {
          ordered.push(transition);
          placed.add(transition);
        }
      }
    }
    for (const transition of transitions) if (!placed.has(transition)) ordered.push(transition);
    start = end;
  }
  return ordered;
}

/** Numbers `rows` (in leaf order) in their logs after the leaves each log has; returns how many. */
async function insertLeaves(client: pg.ClientBase, kind: string, rows: readonly Pending[]): Promise<number> {
  if (rows.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.tenant_id, (counts.get(row.tenant_id) ?? 0) + 1);
  const tenants = [...counts.keys()];
  // The logs' rows, created when new; the old `assigned` is where each log's new leaves start.
  const { rows: logs } = await client.query<{ tenant_id: string; assigned: number }>(
    `INSERT INTO integrity_logs (tenant_id, kind, assigned, tree_size, root)
     SELECT tenant_id, $1, count, 0, sha256('') FROM unnest($2::text[], $3::bigint[]) AS added(tenant_id, count)
     ON CONFLICT (tenant_id, kind) DO UPDATE SET assigned = integrity_logs.assigned + excluded.assigned
     RETURNING tenant_id, assigned`,
    [kind, tenants, tenants.map((tenant) => counts.get(tenant) ?? 0)],
  );
  const next = new Map(logs.map((log) => [log.tenant_id, log.assigned - (counts.get(log.tenant_id) ?? 0)]));
  const indexes = rows.map((row) => {
    const index = next.get(row.tenant_id) ?? 0;
    next.set(row.tenant_id, index + 1);
    return index;
  });
  await client.query(
    `INSERT INTO integrity_leaves (tenant_id, kind, leaf_index, record_id, transition)
     SELECT tenant_id, $1, leaf_index, record_id, transition
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::integer[]) AS leaf(tenant_id, leaf_index, record_id, transition)`,
    [
      kind,
      rows.map((row) => row.tenant_id),
      indexes,
      rows.map((row) => row.record_id),
      rows.map((row) => row.rank),
    ],
  );
  return rows.length;
}
