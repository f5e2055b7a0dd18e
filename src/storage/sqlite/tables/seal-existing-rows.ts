import type Database from 'better-sqlite3';
import { storedColumns, type LogTable } from '../../../kinds/log-table.js';
import type { DataMigrationProgress } from '../../../domain/audit-store.js';
import {
  sealExistingRows as sealRows,
  type LegacyTransition,
  type UnsealedRows,
} from '../../../sealing/existing-rows.js';
import type { RowSealer, StoredRow } from '../../../sealing/row-sealer.js';
import { subjectKeyWrites } from './subject-key-repository.js';

/**
 * Seals the rows stored before sealed personal fields existed (see src/sealing/existing-rows.ts),
 * a batch per transaction. Returns the rows sealed. Runs on `db`, the event loop's connection,
 * before the store serves.
 */
export function sealExistingRows(
  db: Database.Database,
  sealer: RowSealer,
  progress?: DataMigrationProgress,
): Promise<number> {
  return sealRows(unsealedRows(db), sealer, progress);
}

function unsealedRows(db: Database.Database): UnsealedRows {
  const storeKeys = subjectKeyWrites(db);
  const columnsOf = (table: LogTable) => storedColumns(table).map(([column]) => column);
  const history = db.prepare(
    `SELECT seq, tenant_id, log_id, error, response FROM communication_log_transitions
      WHERE tenant_id = ? AND log_id = ?`,
  );
  const updateHistory = db.prepare(
    'UPDATE communication_log_transitions SET error = @error, response = @response WHERE seq = @seq',
  );
  return {
    count: (table) =>
      Promise.resolve(
        db.prepare(`SELECT count(*) FROM ${table.table} WHERE sealed IS NULL`).pluck().get() as number,
      ),
    next: (table, limit) =>
      Promise.resolve(
        db
          .prepare(
            `SELECT ${columnsOf(table)
              .map((column) => `"${column}"`)
              .join(', ')} FROM ${table.table} WHERE sealed IS NULL LIMIT ${limit}`,
          )
          .all() as StoredRow[],
      ),
    history: (logs) =>
      Promise.resolve(logs.flatMap((row) => history.all(row.tenant_id, row.id) as LegacyTransition[])),
    write: (table, batch) => {
      const update = db.prepare(
        `UPDATE ${table.table} SET ${columnsOf(table)
          .filter((column) => column !== 'tenant_id' && column !== 'id')
          .map((column) => `"${column}" = @${column}`)
          .join(', ')}
          WHERE tenant_id = @tenant_id AND id = @id`,
      );
      db.transaction(() => {
        storeKeys(batch.newKeys);
        for (const row of batch.rows) update.run(row);
        for (const transition of batch.history) updateHistory.run(transition);
      })();
      return Promise.resolve();
    },
  };
}
