import { COMMUNICATION_LOG_TABLE } from '../kinds/communication-log/communication-log-table.js';
import { sealTransition } from '../kinds/communication-log/sealed-history.js';
import type { LogTable } from '../kinds/log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { DataMigrationProgress } from '../domain/audit-store.js';
import type { RowSealer, StoredRow } from './row-sealer.js';
import type { StoredSubjectKey } from './subject-key-ring.js';

/**
 * Rows sealed per batch (one transaction or statement each): a few ms of writing, so a restart
 * repeats little.
 */
const BATCH_ROWS = 1000;

/** A status transition stored before sealing: its personal columns, in plaintext until sealed. */
export interface LegacyTransition {
  seq: number;
  tenant_id: string;
  log_id: string;
  error: string | null;
  response: string | null;
}

/** One batch sealed: to store in one transaction, then adopt the keys. */
export interface SealedBatch {
  /** The batch's rows as they are to be stored (every stored column). */
  rows: StoredRow[];
  /** The communication logs' transitions with error and response sealed (empty for other kinds). */
  history: LegacyTransition[];
  /** Subject keys created for the batch, stored with it. */
  newKeys: StoredSubjectKey[];
}

/** What a store gives the sealing of its existing rows: reads of what is unsealed, and one write per batch. */
export interface UnsealedRows {
  /** How many rows of `table` have no envelope yet (`sealed` NULL). */
  count(table: LogTable): Promise<number>;
  /** Up to `limit` rows of `table` with no envelope yet, every stored column, in any order. */
  next(table: LogTable, limit: number): Promise<StoredRow[]>;
  /** The stored transitions of these communication logs (those with error and response both null may be left out). */
  history(logs: readonly StoredRow[]): Promise<LegacyTransition[]>;
  /** Stores `batch` of `table` atomically: rows, history and keys commit together or not at all. */
  write(table: LogTable, batch: SealedBatch): Promise<void>;
}

/**
 * Seals the rows stored before sealed personal fields existed, a batch per write, with a
 * communication log's history sealed in the same write as the log: stopped anywhere, it goes on
 * where it stopped when run again (a batch is the rows still unsealed). Returns the rows sealed;
 * `progress` hears how it goes. Both stores run it before they serve, one process at a time.
 */
export async function sealExistingRows(
  store: UnsealedRows,
  sealer: RowSealer,
  progress?: DataMigrationProgress,
): Promise<number> {
  // The partial indexes count the rows to seal at once; none on a store sealed already.
  let pending = 0;
  for (const table of LOG_TABLES) pending += await store.count(table);
  if (pending === 0) return 0;
  progress?.begin('sealing rows', pending);
  let total = 0;
  for (const table of LOG_TABLES) {
    for (;;) {
      const rows = await store.next(table, BATCH_ROWS);
      if (rows.length === 0) break;
      const sealed = await sealer.sealRows(table, rows);
      const history =
        table.table === COMMUNICATION_LOG_TABLE.table
          ? await sealHistory(sealer, rows, await store.history(rows))
          : { transitions: [], newKeys: [] };
      const newKeys = [...sealed.newKeys, ...history.newKeys];
      await store.write(table, { rows: sealed.rows, history: history.transitions, newKeys });
      sealer.adopt(newKeys);
      total += rows.length;
      progress?.advance(rows.length);
    }
  }
  progress?.end();
  return total;
}

/** `transitions` of the communication logs `logs` with error and response sealed for each log's subject. */
async function sealHistory(
  sealer: RowSealer,
  logs: readonly StoredRow[],
  transitions: readonly LegacyTransition[],
): Promise<{ transitions: LegacyTransition[]; newKeys: StoredSubjectKey[] }> {
  const subjects = new Map(logs.map((row) => [`${row.tenant_id}\0${row.id}`, String(row.user_id)]));
  const newKeys: StoredSubjectKey[] = [];
  const sealed: LegacyTransition[] = [];
  for (const transition of transitions) {
    if (transition.error === null && transition.response === null) continue;
    // Only error and response are sealed; the other fields of a transition do not matter here.
    const one = await sealTransition(
      sealer,
      { ...transition, from_status: 'pending', to_status: 'pending', sent_at: null, changed_at: 0 },
      subjects.get(`${transition.tenant_id}\0${transition.log_id}`) ?? '',
    );
    newKeys.push(...one.newKeys);
    sealed.push({ ...transition, error: one.transition.error, response: one.transition.response });
  }
  return { transitions: sealed, newKeys };
}
