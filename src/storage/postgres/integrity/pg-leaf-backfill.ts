import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import type { PgExecutor } from '../pg-executor.js';
import type { DataMigrationProgress } from '../../../domain/audit-store.js';

/** Records numbered per statement. */
const BATCH_ROWS = 5000;

interface Position {
  tenant_id: string;
  time: number;
  id: string;
}

/**
 * Numbers the leaves of rows stored before the integrity log existed (their claims have no txid):
 * per kind in (tenant, time, id) order, each communication log followed by its history, a batch
 * per statement with its position, so that it resumes where it stopped. The sequencer numbers
 * nothing of a kind before its backfill is done, so these come first in every log. Run under the
 * migration lock (one process at a time). Returns the records numbered.
 */
export async function backfillLeaves(db: PgExecutor, progress?: DataMigrationProgress): Promise<number> {
  let pending = 0;
  for (const table of LOG_TABLES) {
    const [row] = await db.query<{ rows: number }>(
      `SELECT count(*)::integer AS rows FROM ${table.keysTable}
        WHERE txid IS NULL AND NOT (SELECT done FROM integrity_backfill WHERE kind = $1)`,
      [table.kind],
    );
    pending += row?.rows ?? 0;
  }
  if (pending > 0) progress?.begin('numbering leaves', pending);
  let total = 0;
  for (const table of LOG_TABLES) {
    const [state] = await db.query<{
      tenant_id: string | null;
      time: number | null;
      id: string | null;
      done: boolean;
    }>(
      `SELECT after_tenant AS tenant_id, after_time AS time, after_id AS id, done
         FROM integrity_backfill WHERE kind = $1`,
      [table.kind],
    );
    if (state === undefined || state.done) continue;
    const time = `"${table.timeColumn}"`;
    const history =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? `(SELECT count(*) FROM communication_log_transitions t
             WHERE t.tenant_id = r.tenant_id AND t.log_id = r.id AND t.txid IS NULL)::integer`
        : '0';
    let position: Position | undefined =
      state.tenant_id === null
        ? undefined
        : { tenant_id: state.tenant_id, time: state.time ?? 0, id: state.id ?? '' };
    for (;;) {
      // One statement: the batch (legacy claims only, in the log table's key order), its leaves
      // after each log's existing ones, the logs' counts and the position.
      const params = [table.kind, position?.tenant_id ?? null, position?.time ?? null, position?.id ?? null];
      const [result] = await db.query<{
        records: number;
        last_tenant: string | null;
        last_time: number | null;
        last_id: string | null;
      }>(
        `WITH batch AS (
           SELECT r.tenant_id, r.${time} AS time, r.id, ${history} AS transitions,
                  row_number() OVER (ORDER BY r.tenant_id, r.${time}, r.id) AS position
             FROM ${table.table} r JOIN ${table.keysTable} k
               ON k.tenant_id = r.tenant_id AND k.id = r.id AND k.txid IS NULL
            WHERE $2::text IS NULL OR (r.tenant_id, r.${time}, r.id) > ($2::text, $3::bigint, $4::text)
            ORDER BY r.tenant_id, r.${time}, r.id
            LIMIT ${BATCH_ROWS}),
         counted AS (
           SELECT tenant_id, sum(1 + transitions)::bigint AS leaves FROM batch GROUP BY tenant_id),
         logs AS (
           INSERT INTO integrity_logs (tenant_id, kind, assigned, tree_size, root)
           SELECT tenant_id, $1, leaves, 0, sha256('') FROM counted
           ON CONFLICT (tenant_id, kind) DO UPDATE SET assigned = integrity_logs.assigned + excluded.assigned
           RETURNING tenant_id, assigned - (SELECT leaves FROM counted c WHERE c.tenant_id = integrity_logs.tenant_id) AS first),
         numbered AS (
           SELECT b.tenant_id, b.id, b.transitions,
                  logs.first + sum(1 + b.transitions) OVER (PARTITION BY b.tenant_id ORDER BY b.position) - 1 - b.transitions AS leaf
             FROM batch b JOIN logs USING (tenant_id)),
         leaves AS (
           INSERT INTO integrity_leaves (tenant_id, kind, leaf_index, record_id, transition)
           SELECT n.tenant_id, $1, n.leaf + rank, n.id, rank
             FROM numbered n CROSS JOIN LATERAL generate_series(0, n.transitions) AS rank),
         last AS (SELECT tenant_id, time, id FROM batch ORDER BY position DESC LIMIT 1),
         moved AS (
           UPDATE integrity_backfill SET
             after_tenant = coalesce((SELECT tenant_id FROM last), after_tenant),
             after_time = coalesce((SELECT time FROM last), after_time),
             after_id = coalesce((SELECT id FROM last), after_id),
             done = NOT EXISTS (SELECT 1 FROM last)
           WHERE kind = $1)
         SELECT (SELECT count(*) FROM batch)::integer AS records,
                (SELECT tenant_id FROM last) AS last_tenant, (SELECT time FROM last) AS last_time,
                (SELECT id FROM last) AS last_id`,
        params,
      );
      const records = result?.records ?? 0;
      if (records === 0 || result?.last_tenant == null) break;
      position = { tenant_id: result.last_tenant, time: result.last_time ?? 0, id: result.last_id ?? '' };
      total += records;
      progress?.advance(records);
    }
  }
  if (pending > 0) progress?.end();
  return total;
}
