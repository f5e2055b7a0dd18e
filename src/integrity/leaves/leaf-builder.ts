import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import {
  expectedCurrent,
  initialState,
  type StoredCommunicationLog,
  type StoredTransition,
} from './delivery-history.js';
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

/** A window of leaves as a store read them: where each leaf points, and the rows they are made of. */
export interface LeafWindow {
  locations: LeafLocation[];
  rows: LeafRows;
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
  return locations.map((location) => leafOf(kind, location, rows));
}

/**
 * The bytes of leaves `start` … `end − 1` of a log of `kind` from a window a store read; throws
 * when a leaf of the range is not numbered, and MissingLeafRowError for a leaf without its row.
 */
export function windowLeafBytes(kind: string, start: number, end: number, window: LeafWindow): Buffer[] {
  if (window.locations.length !== end - start) {
    throw new Error(`${kind} log: leaves ${start}…${end - 1} are not all numbered`);
  }
  return leafBytesOf(kind, window.locations, window.rows);
}

/**
 * What a verifier makes of one leaf: its bytes recomputed from the rows, or that its row is gone;
 * and, for a communication log's record, whether its current row is what its history yields.
 */
export interface LeafCheck {
  location: LeafLocation;
  bytes: Buffer | undefined;
  /** A record whose stored current state is not its first state with its history applied. */
  currentDiffers: boolean;
}

/** The LeafCheck of each of `locations`, never throwing for a missing row (verify reports it). */
export function checkLeaves(kind: string, locations: readonly LeafLocation[], rows: LeafRows): LeafCheck[] {
  return locations.map((location) => {
    let bytes: Buffer | undefined;
    try {
      bytes = leafOf(kind, location, rows);
    } catch (error) {
      if (!(error instanceof MissingLeafRowError)) throw error;
    }
    return { location, bytes, currentDiffers: currentDiffers(kind, location, rows) };
  });
}

/** Whether a communication log's stored row differs from its first state with its history replayed. */
function currentDiffers(kind: string, location: LeafLocation, rows: LeafRows): boolean {
  if (kind !== COMMUNICATION_LOG_TABLE.kind || location.transition !== 0) return false;
  const record = rows.records.get(location.recordId);
  if (record === undefined) return false;
  const current = record as unknown as StoredCommunicationLog;
  const history = rows.histories.get(location.recordId) ?? [];
  const expected = expectedCurrent(initialState(current, history), history);
  return MUTABLE.some((column) => expected[column] !== current[column]);
}

/** The columns a delivery-status transition changes. */
const MUTABLE = ['status', 'error', 'response', 'sent_at', 'updated_at'] as const;

function leafOf(kind: string, location: LeafLocation, rows: LeafRows): Buffer {
  const encoder = recordLeafEncoder(kind);
  const record = rows.records.get(location.recordId);
  if (location.transition === 0) {
    if (record === undefined) throw new MissingLeafRowError(kind, location);
    if (kind !== COMMUNICATION_LOG_TABLE.kind) return encoder.encode(record);
    const history = rows.histories.get(location.recordId) ?? [];
    return encoder.encode(initialState(record as unknown as StoredCommunicationLog, history));
  }
  const transition = rows.histories.get(location.recordId)?.[location.transition - 1];
  if (transition === undefined) throw new MissingLeafRowError(kind, location);
  return TRANSITION_LEAF_ENCODER.encode({
    ...(transition as unknown as Record<string, LeafValue>),
    transition: location.transition,
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
