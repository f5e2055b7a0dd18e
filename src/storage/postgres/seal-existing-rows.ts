import { storedColumns } from '../../kinds/log-table.js';
import type { DataMigrationProgress } from '../../domain/audit-store.js';
import {
  sealExistingRows as sealRows,
  type LegacyTransition,
  type UnsealedRows,
} from '../../sealing/existing-rows.js';
import type { RowSealer, StoredRow } from '../../sealing/row-sealer.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import { subjectKeysCte } from './subject-key-repository.js';

/**
 * Seals the rows stored before sealed personal fields existed (see src/sealing/existing-rows.ts),
 * a batch per statement: rows, their keys and the communication logs' history together. Returns
 * the rows sealed. Run under the migration lock (one process at a time).
 */
export function sealExistingRows(
  db: PgExecutor,
  sealer: RowSealer,
  progress?: DataMigrationProgress,
): Promise<number> {
  return sealRows(unsealedRows(db), sealer, progress);
}

function unsealedRows(db: PgExecutor): UnsealedRows {
  const listOf = (columns: readonly (readonly [string, string])[]) =>
    columns.map(([column]) => `"${column}"`).join(', ');
  return {
    count: async (table) => {
      const [row] = await db.query<{ rows: number }>(
        `SELECT count(*)::integer AS rows FROM ${table.table} WHERE sealed IS NULL`,
      );
      return row?.rows ?? 0;
    },
    next: (table, limit) =>
      db.query<StoredRow>(
        `SELECT ${listOf(storedColumns(table))} FROM ${table.table} WHERE sealed IS NULL LIMIT ${limit}`,
      ),
    history: (logs) =>
      db.query<LegacyTransition>(
        `SELECT t.seq, t.tenant_id, t.log_id, t.error, t.response
           FROM communication_log_transitions t
           JOIN unnest($1::text[], $2::text[]) AS l(tenant_id, id) ON t.tenant_id = l.tenant_id AND t.log_id = l.id
          WHERE t.error IS NOT NULL OR t.response IS NOT NULL`,
        [logs.map((row) => row.tenant_id), logs.map((row) => row.id)],
      ),
    write: async (table, batch) => {
      const columns = storedColumns(table);
      const list = listOf(columns);
      const sql = new SqlBuilder();
      const arrays = columns.map(
        ([column, type]) =>
          `${sql.bind(batch.rows.map((row) => (row[column] ?? null) as string | number | null))}::${type}[]`,
      );
      const set = columns
        .filter(([column]) => column !== 'tenant_id' && column !== 'id')
        .map(([column]) => `"${column}" = input."${column}"`)
        .join(', ');
      const historyArrays = (['seq', 'error', 'response'] as const).map(
        (column) =>
          `${sql.bind(batch.history.map((row) => row[column]))}::${column === 'seq' ? 'bigint' : 'text'}[]`,
      );
      await db.query(
        `WITH ${[
          ...subjectKeysCte(batch.newKeys, sql),
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
    },
  };
}
