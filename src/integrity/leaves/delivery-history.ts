/**
 * A communication log changes after insert (each accepted delivery-status transition sets its
 * status and may set error, response and sent_at), but its record leaf holds the row as inserted.
 * Each transition therefore stores the values it replaced (`prev_*`; the status it replaced is its
 * `from_status`): undoing the transitions from the stored row gives the record leaf's row, and
 * replaying them gives the row a verifier must find stored. The rules are those of the write
 * paths' UPDATE: status←to_status, error←coalesce(t.error, error), response←coalesce(t.response,
 * response), sent_at←coalesce(t.sent_at, sent_at), updated_at←changed_at.
 */
import type {
  CommunicationLog,
  StatusTransition,
} from '../../kinds/communication-log/communication-log-table.js';

/**
 * A communication log as stored: its table's columns plus the `sealed` envelope (null before the
 * row is sealed). Statuses are plain text: a store's row is checked, not trusted to be well-formed.
 */
export type StoredCommunicationLog = Omit<CommunicationLog, 'channel' | 'status'> & {
  channel: string;
  status: string;
  sealed: string | null;
};

/**
 * The values of a communication log a transition replaced, stored on the transition. All null on a
 * legacy transition (stored before tamper evidence); `prev_updated_at` is never null otherwise
 * (`updated_at` is NOT NULL), which is how a legacy transition is told apart.
 */
export interface PreviousValues {
  prev_error: string | null;
  prev_response: string | null;
  /** Epoch ms, or null when the log had not been sent. */
  prev_sent_at: number | null;
  /** Epoch ms; null only on a legacy transition. */
  prev_updated_at: number | null;
}

/** A delivery-status transition as stored: the history table's columns plus what it replaced. */
export type StoredTransition = Omit<StatusTransition, 'from_status' | 'to_status'> & {
  from_status: string;
  to_status: string;
} & PreviousValues;

/** The columns a transition changes; the rest of a log never changes after insert. */
type MutableColumns = Pick<
  StoredCommunicationLog,
  'status' | 'error' | 'response' | 'sent_at' | 'updated_at'
>;

/** A transition without what it replaced, as the write path receives it. */
type TransitionChange = Pick<StoredTransition, 'to_status' | 'error' | 'response' | 'sent_at' | 'changed_at'>;

/** Whether `transition` was stored before tamper evidence, without the values it replaced. */
export function isLegacyTransition(transition: Pick<PreviousValues, 'prev_updated_at'>): boolean {
  return transition.prev_updated_at === null;
}

/**
 * How many of `transitions` (a log's, in `seq` order) form the legacy prefix: all up to and including
 * the last legacy one. Migration records a log as it then stood, so only the transitions after it
 * changed the row since its record leaf; a non-legacy transition inside the prefix (which no write
 * path produces) is reported by transitionMismatches.
 */
export function legacyPrefixLength(transitions: readonly Pick<PreviousValues, 'prev_updated_at'>[]): number {
  for (let index = transitions.length - 1; index >= 0; index--) {
    if (transitions[index]?.prev_updated_at === null) return index + 1;
  }
  return 0;
}

/**
 * What a write path stores with a transition applied to `before` (the row as the transition found
 * it): `transition` with the values of `before` it replaces.
 */
export function withPreviousValues<T extends object>(
  before: Pick<MutableColumns, 'error' | 'response' | 'sent_at' | 'updated_at'>,
  transition: T,
): T & PreviousValues {
  return {
    ...transition,
    prev_error: before.error,
    prev_response: before.response,
    prev_sent_at: before.sent_at,
    prev_updated_at: before.updated_at,
  };
}

/** `row` after `transition`, by the write paths' UPDATE rules; `row` itself is left as it is. */
export function applyTransition<Row extends MutableColumns>(row: Row, transition: TransitionChange): Row {
  return {
    ...row,
    status: transition.to_status,
    error: transition.error ?? row.error,
    response: transition.response ?? row.response,
    sent_at: transition.sent_at ?? row.sent_at,
    updated_at: transition.changed_at,
  };
}

/** `row` before `transition`: the values the transition records it replaced. */
export function undoTransition<Row extends MutableColumns>(
  row: Row,
  transition: Pick<StoredTransition, 'from_status'> & PreviousValues,
): Row {
  if (transition.prev_updated_at === null) throw new Error('a legacy transition cannot be undone');
  return {
    ...row,
    status: transition.from_status,
    error: transition.prev_error,
    response: transition.prev_response,
    sent_at: transition.prev_sent_at,
    updated_at: transition.prev_updated_at,
  };
}

/**
 * The row a communication log's record leaf holds: `current` (as stored now) with the transitions
 * after the legacy prefix undone, last first. `transitions` are all of the log's, in `seq` order.
 * A migrated log's record leaf is the row as migration found it, so its legacy transitions stay
 * applied. With at least one transition undone, the result no longer depends on `current`'s mutable
 * columns: an edit of them shows through expectedCurrent, not here.
 */
export function initialState(
  current: StoredCommunicationLog,
  transitions: readonly StoredTransition[],
): StoredCommunicationLog {
  const prefix = legacyPrefixLength(transitions);
  let row = current;
  for (let index = transitions.length - 1; index >= prefix; index--) {
    row = undoTransition(row, transitions[index] as StoredTransition);
  }
  return row;
}

/**
 * The row a verifier must find stored: `initial` (the record leaf's row) with the transitions after
 * the legacy prefix applied in order. `transitions` are all of the log's, in `seq` order.
 */
export function expectedCurrent(
  initial: StoredCommunicationLog,
  transitions: readonly StoredTransition[],
): StoredCommunicationLog {
  let row = initial;
  for (let index = legacyPrefixLength(transitions); index < transitions.length; index++) {
    row = applyTransition(row, transitions[index] as StoredTransition);
  }
  return row;
}

/**
 * The indexes (in `transitions`, `seq` order) of transitions whose record of the row before them
 * disagrees with replaying from `initial`: a `from_status` or `prev_*` value other than the row's at
 * that point, or a non-legacy transition inside the legacy prefix. Empty for a history a write path
 * produced; the transitions' own leaves guard their bytes, this guards their consistency.
 */
export function transitionMismatches(
  initial: StoredCommunicationLog,
  transitions: readonly StoredTransition[],
): number[] {
  const mismatches: number[] = [];
  const prefix = legacyPrefixLength(transitions);
  let row = initial;
  for (const [index, transition] of transitions.entries()) {
    if (index < prefix) {
      if (!isLegacyTransition(transition)) mismatches.push(index);
      continue;
    }
    const expected = withPreviousValues(row, { from_status: row.status });
    if (
      transition.from_status !== expected.from_status ||
      transition.prev_error !== expected.prev_error ||
      transition.prev_response !== expected.prev_response ||
      transition.prev_sent_at !== expected.prev_sent_at ||
      transition.prev_updated_at !== expected.prev_updated_at
    ) {
      mismatches.push(index);
    }
    row = applyTransition(row, transition);
  }
  return mismatches;
}
