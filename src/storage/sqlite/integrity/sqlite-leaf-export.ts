import type Database from 'better-sqlite3';
import { HISTORY_COLUMNS, type LeafLocation } from '../../../integrity/leaves/leaf-builder.js';
import {
  isLegacyTransition,
  undoTransition,
  type StoredCommunicationLog,
  type StoredTransition,
} from '../../../integrity/leaves/delivery-history.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { SEALED_COLUMN, storedColumns, type LogTable } from '../../../kinds/log-table.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import { envelopeKeyId, isEnvelope } from '../../../sealing/sealed-envelope.js';
import { fieldKeySubject, utcDayOf } from '../../../sealing/personal-fields.js';
import type { StoredSubjectKey } from '../../../sealing/subject-key-ring.js';
import type { RawLeafBatch, RawLogState, RawRecord } from '../../log-transfer.js';

/** A source log whose rows do not give its leaves: it cannot be copied as it is. */
export class SourceLogError extends Error {
  constructor(log: LogId, problem: string) {
    super(
      `the source's ${log.kind} log of tenant ${JSON.stringify(log.tenantId)} ${problem}: run sealog verify on the source`,
    );
    this.name = 'SourceLogError';
  }
}

const KEY_COLUMNS = 'tenant_id, key_id, subject, master_key_id, wrapped, created_at';
const IN_JSON = 'IN (SELECT value FROM json_each(?))';

/**
 * Reads up to `limit` leaves of `log` from `start` on, raw (see RawLeafBatch), in one read
 * transaction of `db`: leaves, rows, histories and keys from one snapshot. Fewer than `limit`
 * leaves means the log ends there (in that snapshot). Throws SourceLogError for a leaf without
 * its row, a gap, or a history whose leaves are out of order.
 */
export function readLeafBatch(db: Database.Database, log: LogId, start: number, limit: number): RawLeafBatch {
  return db.transaction(() => read(db, log, start, limit))();
}

function read(db: Database.Database, log: LogId, start: number, limit: number): RawLeafBatch {
  const table = logTableOfKind(log.kind);
  const leaves = (
    db
      .prepare(
        `SELECT leaf_index AS leafIndex, record_id AS recordId, transition FROM integrity_leaves
          WHERE tenant_id = ? AND kind = ? AND leaf_index >= ? ORDER BY leaf_index LIMIT ?`,
      )
      .all(log.tenantId, log.kind, start, limit) as LeafLocation[]
  ).map((leaf, position) => {
    if (leaf.leafIndex !== start + position) {
      throw new SourceLogError(log, `has no leaf ${start + position}`);
    }
    return leaf;
  });
  const end = start + leaves.length;
  const recordIds = leaves.filter((leaf) => leaf.transition === 0).map((leaf) => leaf.recordId);
  const rows = selectRows(db, table, log.tenantId, recordIds);
  let records = recordIds.map((id) => {
    const record = rows.get(id);
    if (record === undefined)
      throw new SourceLogError(log, `has a leaf for record ${id}, which is not stored`);
    return record;
  });
  let transitions: StoredTransition[] = [];
  let moved: RawLogState[] = [];
  if (table.table === COMMUNICATION_LOG_TABLE.table) {
    ({ records, transitions, moved } = asOfEnd(db, log, leaves, records, end));
  }
  return {
    log,
    start,
    leaves,
    records,
    transitions,
    moved,
    subjectKeys: subjectKeys(db, log.tenantId, table, records, transitions, moved),
  };
}

/** The stored rows of `ids` (unique) of `table`, by id. */
function selectRows(
  db: Database.Database,
  table: LogTable,
  tenantId: string,
  ids: readonly string[],
): Map<string, RawRecord> {
  if (ids.length === 0) return new Map();
  const columns = storedColumns(table)
    .map(([column]) => `"${column}"`)
    .join(', ');
  const rows = db
    .prepare(`SELECT ${columns} FROM ${table.table} WHERE tenant_id = ? AND id ${IN_JSON}`)
    .all(tenantId, JSON.stringify([...new Set(ids)])) as RawRecord[];
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The communication logs a batch touches, as of its last leaf: each record with the transitions
 * whose leaves come later undone, the batch's transitions, and the state of the logs copied
 * before that those transitions move.
 */
function asOfEnd(
  db: Database.Database,
  log: LogId,
  leaves: readonly LeafLocation[],
  records: readonly RawRecord[],
  end: number,
): { records: RawRecord[]; transitions: StoredTransition[]; moved: RawLogState[] } {
  const touched = [...new Set(leaves.map((leaf) => leaf.recordId))];
  const current = selectRows(db, COMMUNICATION_LOG_TABLE, log.tenantId, touched);
  const histories = new Map<string, StoredTransition[]>();
  for (const transition of db
    .prepare(
      `SELECT ${HISTORY_COLUMNS.join(', ')} FROM communication_log_transitions
        WHERE tenant_id = ? AND log_id ${IN_JSON} ORDER BY log_id, seq`,
    )
    .all(log.tenantId, JSON.stringify(touched)) as StoredTransition[]) {
    const history = histories.get(transition.log_id);
    if (history === undefined) histories.set(transition.log_id, [transition]);
    else history.push(transition);
  }
  const leafOf = new Map<string, number>();
  for (const row of db
    .prepare(
      `SELECT record_id AS recordId, transition, leaf_index AS leafIndex FROM integrity_leaves
        WHERE tenant_id = ? AND kind = ? AND transition > 0 AND record_id ${IN_JSON}`,
    )
    .all(log.tenantId, log.kind, JSON.stringify(touched)) as LeafLocation[]) {
    leafOf.set(`${row.recordId}\u0000${row.transition}`, row.leafIndex);
  }
  const states = new Map<string, StoredCommunicationLog>();
  for (const id of touched) {
    const row = current.get(id);
    if (row === undefined) throw new SourceLogError(log, `has leaves for record ${id}, which is not stored`);
    states.set(
      id,
      stateAt(log, row as unknown as StoredCommunicationLog, histories.get(id) ?? [], leafOf, end),
    );
  }
  const inBatch = new Set(records.map((record) => record.id));
  return {
    records: records.map((record) => ({ ...record, ...mutable(states.get(record.id)) })),
    transitions: leaves
      .filter((leaf) => leaf.transition > 0)
      .map((leaf) => {
        const transition = histories.get(leaf.recordId)?.[leaf.transition - 1];
        if (transition === undefined) {
          throw new SourceLogError(log, `has leaf ${leaf.leafIndex} for a transition that is not stored`);
        }
        return transition;
      }),
    moved: touched.filter((id) => !inBatch.has(id)).map((id) => ({ id, ...mutable(states.get(id)) })),
  };
}

/**
 * `row` (as stored now) with the transitions whose leaves are at or after `end` undone, last
 * first. Those form the end of the history (a log's transitions are numbered in seq order); a
 * legacy transition (from before tamper evidence) stays applied, as it is in the record's leaf.
 */
function stateAt(
  log: LogId,
  row: StoredCommunicationLog,
  history: readonly StoredTransition[],
  leafOf: ReadonlyMap<string, number>,
  end: number,
): StoredCommunicationLog {
  let state = row;
  let undoing = true;
  for (let rank = history.length; rank >= 1; rank--) {
    const transition = history[rank - 1] as StoredTransition;
    const leaf = leafOf.get(`${row.id}\u0000${rank}`);
    if (leaf === undefined) {
      throw new SourceLogError(log, `has no leaf for transition ${rank} of ${row.id}`);
    }
    if (leaf < end) {
      undoing = false;
    } else if (!undoing) {
      throw new SourceLogError(log, `numbers the transitions of ${row.id} out of their order`);
    } else if (!isLegacyTransition(transition)) {
      state = undoTransition(state, transition);
    }
  }
  return state;
}

/** The columns a transition changes, of `state`. */
function mutable(state: StoredCommunicationLog | undefined): Omit<RawLogState, 'id'> {
  if (state === undefined) throw new Error('a touched communication log lost its state');
  const { status, error, response, sent_at, updated_at } = state;
  return { status, error, response, sent_at, updated_at };
}

/** The stored subject keys of every envelope among the batch's sealed values. */
function subjectKeys(
  db: Database.Database,
  tenantId: string,
  table: LogTable,
  records: readonly RawRecord[],
  transitions: readonly StoredTransition[],
  moved: readonly RawLogState[],
): StoredSubjectKey[] {
  const separate = table.sealing.separate ?? [];
  const values: unknown[] = [
    ...records.flatMap((record) => [SEALED_COLUMN, ...separate].map((column) => record[column])),
    ...transitions.flatMap((transition) => [
      transition.error,
      transition.response,
      transition.prev_error,
      transition.prev_response,
    ]),
    ...moved.flatMap((state) => [state.error, state.response]),
  ];
  const ids = new Set<string>();
  for (const value of values) {
    if (!isEnvelope(value)) continue;
    try {
      ids.add(envelopeKeyId(value));
    } catch {
      // Not an envelope of this format after all: it travels as it is, and needs no key.
    }
  }
  // A field kept for less is sealed again inside the row envelope, under its day's period key:
  // its key id is inside the ciphertext, so the keys go by the days of the batch's records.
  const periodSubjects = new Set<string>();
  for (const field of table.retention.fields ?? []) {
    for (const record of records) {
      const time = record[table.timeColumn];
      if (typeof time === 'number') periodSubjects.add(fieldKeySubject(field, utcDayOf(time)));
    }
  }
  if (ids.size === 0 && periodSubjects.size === 0) return [];
  return db
    .prepare(
      `SELECT ${KEY_COLUMNS} FROM subject_keys
        WHERE tenant_id = ? AND (key_id ${IN_JSON} OR subject ${IN_JSON})`,
    )
    .all(tenantId, JSON.stringify([...ids]), JSON.stringify([...periodSubjects])) as StoredSubjectKey[];
}
