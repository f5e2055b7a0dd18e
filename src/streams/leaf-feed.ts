import type { AuditStore } from '../domain/audit-store.js';
import {
  applyTransition,
  initialState,
  legacyPrefixLength,
  type StoredCommunicationLog,
  type StoredTransition,
} from '../integrity/leaves/delivery-history.js';
import type { LogId } from '../integrity/sequencing/integrity-store.js';
import { logTableOfKind } from '../kinds/log-tables.js';
import type { LogRow } from '../kinds/log-table.js';

/** A leaf of a log as a stream reads it: its place and its record as it stood at the leaf. */
export interface FedLeaf {
  leafIndex: number;
  recordId: string;
  /** 0: the record; K: its K-th status transition. */
  transition: number;
  /** The record's time, or for a transition the time of the change (epoch ms). */
  time: number;
  /** The record opened (personal fields unsealed, erased ones `[erased]`) as it was at this leaf. */
  row: LogRow;
}

/**
 * The leaves [from, until) of `log` that still have their record, in leaf order, each with its
 * record as the leaf holds it: a record's leaf shows the record as inserted, its K-th transition's
 * leaf the record after its first K transitions (what the API showed then, with today's erasures).
 * Leaves whose record a retention purge removed are left out. One store read, one open.
 */
export async function readLeaves(
  store: AuditStore,
  log: LogId,
  from: number,
  until: number,
): Promise<FedLeaf[]> {
  if (until <= from) return [];
  const table = logTableOfKind(log.kind);
  const { locations, rows } = await store.integrity.leafWindow(log, from, until);
  const found: { leafIndex: number; recordId: string; transition: number; time: number; stored: LogRow }[] =
    [];
  for (const location of locations) {
    const record = rows.records.get(location.recordId);
    if (record === undefined) continue;
    const history = rows.histories.get(location.recordId);
    const stored =
      history === undefined
        ? record
        : stateAt(record as StoredCommunicationLog, history, location.transition);
    const changed = location.transition === 0 ? undefined : history?.[location.transition - 1];
    const time = changed?.changed_at ?? Number(record[table.timeColumn]);
    found.push({ ...location, time, stored: stored as unknown as LogRow });
  }
  const opened = await store.rows(table).open(
    found.map((leaf) => leaf.stored),
    { once: true },
  );
  return found.map((leaf, position) => ({
    leafIndex: leaf.leafIndex,
    recordId: leaf.recordId,
    transition: leaf.transition,
    time: leaf.time,
    row: opened[position] as LogRow,
  }));
}

/**
 * A communication log as it stood after its first `transitions` status transitions (0: as
 * inserted). A legacy prefix (transitions stored before tamper evidence) is part of the record's
 * own leaf, so it stays applied.
 */
function stateAt(
  current: StoredCommunicationLog,
  history: readonly StoredTransition[],
  transitions: number,
): StoredCommunicationLog {
  let row = initialState(current, history);
  for (let index = legacyPrefixLength(history); index < Math.min(transitions, history.length); index++) {
    row = applyTransition(row, history[index] as StoredTransition);
  }
  return row;
}
