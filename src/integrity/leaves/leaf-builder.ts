import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import {
  expectedCurrent,
  initialState,
  type StoredCommunicationLog,
  type StoredTransition,
} from './delivery-history.js';
import { HASH_BYTES, leafHashOfText } from '../merkle/rfc6962-hashing.js';
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

/** What checkLeaf makes of one leaf. */
export interface LeafCheck {
  /** The leaf's text; undefined when its row is not stored or is refused. */
  text: string | undefined;
  /** Set when the row is stored but holds a value no leaf can (the encoder's TypeError). */
  refusal?: string | undefined;
  /** A communication log's record whose stored current state is not its first state with its history applied. */
  currentDiffers: boolean;
}

/**
 * The check of the leaf at `location` of a log of `kind` from its rows: `record` as stored (by
 * column name; undefined when not stored) and, for a communication log, the record's whole history
 * in seq order. A record leaf of a communication log holds the record as first stored, recomputed
 * from its current row and its history (delivery-history.ts); a transition leaf, the transition.
 */
export function checkLeaf(
  kind: string,
  location: LeafLocation,
  record: Readonly<Record<string, unknown>> | undefined,
  history: readonly StoredTransition[] | undefined,
): LeafCheck {
  const communication = kind === COMMUNICATION_LOG_TABLE.kind;
  let currentDiffers = false;
  let text: string | undefined;
  let refusal: string | undefined;
  try {
    if (location.transition === 0) {
      if (record !== undefined) {
        if (!communication) {
          text = recordLeafEncoder(kind).encodeText(record);
        } else {
          const current = record as unknown as StoredCommunicationLog;
          const transitions = history ?? [];
          const initial = initialState(current, transitions);
          const expected = expectedCurrent(initial, transitions);
          currentDiffers = MUTABLE.some((column) => expected[column] !== current[column]);
          text = recordLeafEncoder(kind).encodeText(initial);
        }
      }
    } else {
      const transition = history?.[location.transition - 1];
      if (transition !== undefined) {
        text = TRANSITION_LEAF_ENCODER.encodeText({
          ...(transition as unknown as Record<string, LeafValue>),
          transition: location.transition,
        });
      }
    }
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    refusal = error.message;
  }
  return { text, refusal, currentDiffers };
}

/** The columns a delivery-status transition changes. */
const MUTABLE = ['status', 'error', 'response', 'sent_at', 'updated_at'] as const;

function leafOf(kind: string, location: LeafLocation, rows: LeafRows): Buffer {
  const check = checkLeaf(
    kind,
    location,
    rows.records.get(location.recordId),
    rows.histories.get(location.recordId),
  );
  if (check.refusal !== undefined) throw new TypeError(check.refusal);
  if (check.text === undefined) throw new MissingLeafRowError(kind, location);
  return Buffer.from(check.text, 'utf8');
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

/**
 * The leaf hashes (RFC 6962, 32 bytes each, concatenated in the order of `rows`) of records of
 * `kind` about to be stored as they are, with no history yet: what a write's tree growth needs,
 * computed wherever the rows were sealed (the leaf bytes do not depend on the leaf's index).
 * Undefined when a row can make no leaf (the encoder refuses one of its values): the store then
 * numbers the rows all the same and its TreeBuilder reports the row.
 */
export function newRecordLeafHashes(kind: string, rows: readonly object[]): Buffer | undefined {
  const hashes = Buffer.allocUnsafe(rows.length * HASH_BYTES);
  for (const [position, row] of rows.entries()) {
    const record = row as Readonly<Record<string, unknown>>;
    const location = { leafIndex: 0, recordId: String(record.id), transition: 0 };
    const { text } = checkLeaf(kind, location, record, []);
    if (text === undefined) return undefined;
    hashes.write(leafHashOfText(text), position * HASH_BYTES, HASH_BYTES, 'latin1');
  }
  return hashes;
}

/** The leaf hash of a communication log's transition number `rank` (from 1), as stored; undefined if it makes no leaf. */
export function transitionLeafHash(stored: StoredTransition, rank: number): Buffer | undefined {
  try {
    const text = TRANSITION_LEAF_ENCODER.encodeText({
      ...(stored as unknown as Record<string, LeafValue>),
      transition: rank,
    });
    return Buffer.from(leafHashOfText(text), 'latin1');
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}
