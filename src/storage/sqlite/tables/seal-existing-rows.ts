import type Database from 'better-sqlite3';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { sealTransition } from '../../../kinds/communication-log/sealed-history.js';
import { storedColumns, type LogTable } from '../../../kinds/log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import type { RowSealer, StoredRow } from '../../../sealing/row-sealer.js';
import type { StoredSubjectKey } from '../../../sealing/subject-key-ring.js';
import type { DataMigrationProgress } from '../../../domain/audit-store.js';
import { subjectKeyWrites } from './subject-key-repository.js';

/** Rows sealed per transaction: a few ms of writing each, so a restart loses little. */
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
 * transaction, with a communication log's history sealed in the same transaction as the log:
 * stopped anywhere, it goes on where it stopped when run again. Returns the rows sealed;
 * `progress` hears how it goes. Runs on `db`, the event loop's connection, before
 * the store serves.
 */
export async function sealExistingRows(
  db: Database.Database,
  sealer: RowSealer,
  progress?: DataMigrationProgress,
): Promise<number> {
  const storeKeys = subjectKeyWrites(db);
  // The partial indexes count the rows to seal at once; none on a store sealed already.
  const pending = LOG_TABLES.reduce(
    (sum, table) =>
      sum + (db.prepare(`SELECT count(*) FROM ${table.table} WHERE sealed IS NULL`).pluck().get() as number),
    0,
  );
  if (pending === 0) return 0;
  progress?.begin('sealing rows', pending);
  let total = 0;
  for (const table of LOG_TABLES) {
    const columns = storedColumns(table).map(([column]) => column);
    const select = db.prepare(
      `SELECT ${columns.map((column) => `"${column}"`).join(', ')} FROM ${table.table}
        WHERE sealed IS NULL LIMIT ${BATCH_ROWS}`,
    );
    const update = db.prepare(
      `UPDATE ${table.table} SET ${columns
        .filter((column) => column !== 'tenant_id' && column !== 'id')
        .map((column) => `"${column}" = @${column}`)
        .join(', ')}
        WHERE tenant_id = @tenant_id AND id = @id`,
    );
    for (;;) {
      const rows = select.all() as StoredRow[];
      if (rows.length === 0) break;
      const sealed = await sealer.sealRows(table, rows);
      const history = await sealHistoryOf(db, sealer, table, rows);
      const newKeys = [...sealed.newKeys, ...history.newKeys];
      db.transaction(() => {
        storeKeys(newKeys);
        for (const row of sealed.rows) update.run(row);
        history.write();
      })();
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
  db: Database.Database,
  sealer: RowSealer,
  table: LogTable,
  rows: readonly StoredRow[],
): Promise<{ newKeys: StoredSubjectKey[]; write: () => void }> {
  if (table.table !== COMMUNICATION_LOG_TABLE.table) return { newKeys: [], write: () => undefined };
  const select = db.prepare(
    `SELECT seq, tenant_id, log_id, error, response FROM communication_log_transitions
      WHERE tenant_id = ? AND log_id = ?`,
  );
  const update = db.prepare(
    'UPDATE communication_log_transitions SET error = @error, response = @response WHERE seq = @seq',
  );
  const newKeys: StoredSubjectKey[] = [];
  const updates: LegacyTransition[] = [];
  for (const row of rows) {
    for (const transition of select.all(row.tenant_id, row.id) as LegacyTransition[]) {
      if (transition.error === null && transition.response === null) continue;
      const sealed = await sealTransition(
        sealer,
        { ...transition, from_status: 'pending', to_status: 'pending', sent_at: null, changed_at: 0 },
        String(row.user_id),
      );
      newKeys.push(...sealed.newKeys);
      updates.push({ ...transition, error: sealed.transition.error, response: sealed.transition.response });
    }
  }
  return {
    newKeys,
    write: () => {
      for (const transition of updates) update.run(transition);
    },
  };
}
