import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import { initialState, type StoredCommunicationLog, type StoredTransition } from './delivery-history.js';
import { recordLeafEncoder, TRANSITION_LEAF_ENCODER, type LeafValue } from './leaf-encoder.js';

/** The history's columns a transition leaf holds, as stored (for a store's SELECT). */
export const HISTORY_COLUMNS = [
  'tenant_id',
  'log_id',
  'from_status',
  'to_status',
  'error',
  'response',
  'sent_at',
  'changed_at',
  'prev_error',
  'prev_response',
  'prev_sent_at',
  'prev_updated_at',
] as const;

/** Where a leaf's content is: a record (transition 0) or its transition number `transition` (from 1). */
export interface LeafLocation {
  leafIndex: number;
  recordId: string;
  transition: number;
}

/** The stored rows a window of leaves is made of, as a store read them. */
export interface LeafRows {
  /** Records as stored (personal fields sealed), by id: those the window's leaves name. */
  records: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Communication logs only: each named record's whole history, in seq order. */
  histories: ReadonlyMap<string, readonly StoredTransition[]>;
}

/** A leaf whose record or transition is not stored (removed since it was numbered). */
export class MissingLeafRowError extends Error {
  constructor(
    readonly kind: string,
    readonly location: LeafLocation,
  ) {
    super(
      `${kind} leaf ${location.leafIndex}: ${location.transition === 0 ? 'record' : `transition ${location.transition} of`} ${location.recordId} is not stored`,
    );
    this.name = 'MissingLeafRowError';
  }
}

/**
 * The leaf bytes of `locations` (in leaf order) of a log of `kind`, from the rows a store read. A
 * communication log's record leaf is the record as first stored, recomputed from its current row
 * and its history (delivery-history.ts). Throws MissingLeafRowError for a leaf without its row.
 */
export function leafBytesOf(kind: string, locations: readonly LeafLocation[], rows: LeafRows): Buffer[] {
  const encoder = recordLeafEncoder(kind);
  const communication = kind === COMMUNICATION_LOG_TABLE.kind;
  return locations.map((location) => {
    const record = rows.records.get(location.recordId);
    if (location.transition === 0) {
      if (record === undefined) throw new MissingLeafRowError(kind, location);
      if (!communication) return encoder.encode(record);
      const history = rows.histories.get(location.recordId) ?? [];
      const first = initialState(record as unknown as StoredCommunicationLog, history);
      return encoder.encode(first);
    }
    const transition = rows.histories.get(location.recordId)?.[location.transition - 1];
    if (transition === undefined) throw new MissingLeafRowError(kind, location);
    return TRANSITION_LEAF_ENCODER.encode({
      ...(transition as unknown as Record<string, LeafValue>),
      transition: location.transition,
    });
  });
}

/** Transitions read in (log_id, seq) order, grouped by log for LeafRows.histories. */
export function historiesByLog(transitions: readonly StoredTransition[]): Map<string, StoredTransition[]> {
  const histories = new Map<string, StoredTransition[]>();
  for (const transition of transitions) {
    const history = histories.get(transition.log_id);
    if (history === undefined) histories.set(transition.log_id, [transition]);
    else history.push(transition);
  }
  return histories;
}
