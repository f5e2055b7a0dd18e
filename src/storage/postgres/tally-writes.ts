import { tallySpecs, volumeTally, type LogTable } from '../../kinds/log-table.js';

/** 1, 2, …, n: positions for GROUP BY and ORDER BY. */
const positions = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(', ');

/**
 * The columns a write's `RETURNING` must give for talliedCtes to count its rows in every table
 * counting `table`'s (tallySpecs), tenant_id first, each once.
 */
export function talliedColumns(table: LogTable): string[] {
  return [...new Set(['tenant_id', ...tallySpecs(table).flatMap((tally) => tally.reads)])];
}

/**
 * CTEs counting the rows of CTE `source` (which returns talliedColumns) in every table counting
 * `table`'s rows, each row weighing `weight` (an SQL expression over `source`: `1` for inserted
 * rows, `-1` for deleted ones, a `delta` column for moves). Each table gets one upsert in key order,
 * tallies before the volume (tallySpecs' order), so that concurrent writers lock their rows in one
 * order and cannot deadlock on them. Keys a write brings to zero stay, as rows of n = 0 (a volume's
 * are removed by dropEmptyVolume).
 *
 * PostgreSQL kept these counts by statement triggers with transition tables until migration 14;
 * Citus runs neither on distributed tables, and counting in the writing statement costs one plan
 * node instead of a trigger call, so both databases now count here.
 */
export function talliedCtes(table: LogTable, source: string, weight: string, name = 'tallied'): string[] {
  return tallySpecs(table).map((tally, n) => {
    const keys = tally.columns.map((column) => `"${column}"`).join(', ');
    const groups = positions(tally.columns.length);
    return `${name}_${n} AS (
      INSERT INTO ${tally.table} AS t (${keys}, n)
      SELECT ${tally.sql.join(', ')}, sum(${weight}) FROM ${source}
       GROUP BY ${groups} HAVING sum(${weight}) <> 0 ORDER BY ${groups}
      ON CONFLICT (${keys}) DO UPDATE SET n = t.n + excluded.n)`;
  });
}

/**
 * A statement removing `tenantId`'s keys of `table`'s volume that count no rows (left by moves and
 * deletes, see talliedCtes); undefined when the kind has no volume. Its parameter is the tenant.
 * Safe beside concurrent writers: a key another write adds to again is no longer zero when the
 * delete re-reads it under its lock, and an upsert that finds its key deleted inserts it anew.
 */
export function dropEmptyVolume(table: LogTable): string | undefined {
  const volume = volumeTally(table);
  return volume === undefined ? undefined : `DELETE FROM ${volume.table} WHERE tenant_id = $1 AND n = 0`;
}
