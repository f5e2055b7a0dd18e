import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import { sealTransition } from '../../kinds/communication-log/sealed-history.js';
import { storedColumns, type LogTable } from '../../kinds/log-table.js';
import { LOG_TABLES } from '../../kinds/log-tables.js';
import type { RowSealer, StoredRow } from '../../sealing/row-sealer.js';
import type { StoredSubjectKey } from '../../sealing/subject-key-ring.js';
import type { DataMigrationProgress } from '../../domain/audit-store.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import { subjectKeysCte } from './subject-key-repository.js';

/** Rows sealed per statement: a restart repeats at most one batch. */
const BATCH_ROWS = 1000;

interface LegacyTransition {
  seq: number;
  tenant_id: string;
  log_id: string;
  error: string | null;
  response: string | null;
}

/**
 * Seals the rows stored before sealed personal fields existed (`sealed` NULL), a batch per
 * statement (rows, their keys and a communication log's history together): stopped anywhere, it
 * goes on where it stopped when run again. Returns the rows sealed.
 */
export async function sealExistingRows(
  db: PgExecutor,
  sealer: RowSealer,
  progress?: DataMigrationProgress,
): Promise<number> {
  // The partial indexes count the rows to seal at once; none on a store sealed already.
  let pending = 0;
  for (const table of LOG_TABLES) {
    const [row] = await db.query<{ rows: number }>(
      `SELECT count(*)::integer AS rows FROM ${table.table} WHERE sealed IS NULL`,
    );
    pending += row?.rows ?? 0;
  }
  if (pending === 0) return 0;
  progress?.begin('sealing rows', pending);
  let total = 0;
  for (const table of LOG_TABLES) {
    const columns = storedColumns(table);
    const list = columns.map(([column]) => `"${column}"`).join(', ');
    for (;;) {
      const rows = await db.query<StoredRow>(
        `SELECT ${list} FROM ${table.table} WHERE sealed IS NULL LIMIT ${BATCH_ROWS}`,
      );
      if (rows.length === 0) break;
      const sealed = await sealer.sealRows(table, rows);
      const history = await sealHistoryOf(db, sealer, table, rows);
      const newKeys = [...sealed.newKeys, ...history.newKeys];
      const sql = new SqlBuilder();
      const arrays = columns.map(
        ([column, type]) =>
          `${sql.bind(sealed.rows.map((row) => (row[column] ?? null) as string | number | null))}::${type}[]`,
      );
      const set = columns
        .filter(([column]) => column !== 'tenant_id' && column !== 'id')
        .map(([column]) => `"${column}" = input."${column}"`)
        .join(', ');
      const historyArrays = ['seq', 'error', 'response'].map(
        (column) =>
          `${sql.bind(history.updates.map((row) => row[column as keyof LegacyTransition]))}::${column === 'seq' ? 'bigint' : 'text'}[]`,
      );
      await db.query(
        `WITH ${[
          ...subjectKeysCte(newKeys, sql),
          `input AS (SELECT * FROM unnest(${arrays.join(', ')}) AS input(${list}))`,
          `history AS (UPDATE communication_log_transitions t SET error = h.error, response = h.response
             FROM unnest(${historyArrays.join(', ')}) AS h(seq, error, response)
            WHERE t.tenant_id = ANY(SELECT tenant_id FROM input) AND t.seq = h.seq)`,
        ].join(', ')}
         UPDATE ${table.table} AS target SET ${set} FROM input
          WHERE target.tenant_id = input.tenant_id AND target.id = input.id
            AND target."${table.timeColumn}" = input."${table.timeColumn}"`,
        sql.params,
      );
      sealer.adopt(newKeys);
      total += rows.length;
      progress?.advance(rows.length);
    }
  }
  progress?.end();
  return total;
}

/** The sealed history of a batch of communication logs (nothing for other kinds). */
async function sealHistoryOf(
  db: PgExecutor,
  sealer: RowSealer,
  table: LogTable,
  rows: readonly StoredRow[],
): Promise<{ newKeys: StoredSubjectKey[]; updates: LegacyTransition[] }> {
  if (table.table !== COMMUNICATION_LOG_TABLE.table || rows.length === 0) return { newKeys: [], updates: [] };
  const transitions = await db.query<LegacyTransition>(
    `SELECT t.seq, t.tenant_id, t.log_id, t.error, t.response
       FROM communication_log_transitions t
       JOIN unnest($1::text[], $2::text[]) AS l(tenant_id, id) ON t.tenant_id = l.tenant_id AND t.log_id = l.id
      WHERE t.error IS NOT NULL OR t.response IS NOT NULL`,
    [rows.map((row) => row.tenant_id), rows.map((row) => row.id)],
  );
  const subjects = new Map(rows.map((row) => [`${row.tenant_id}\0${row.id}`, String(row.user_id)]));
  const newKeys: StoredSubjectKey[] = [];
  const updates: LegacyTransition[] = [];
  for (const transition of transitions) {
    const sealed = await sealTransition(
      sealer,
      { ...transition, from_status: 'pending', to_status: 'pending', sent_at: null, changed_at: 0 },
      subjects.get(`${transition.tenant_id}\0${transition.log_id}`) ?? '',
    );
    newKeys.push(...sealed.newKeys);
    updates.push({ ...transition, error: sealed.transition.error, response: sealed.transition.response });
  }
  return { newKeys, updates };
}
