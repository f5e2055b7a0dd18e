/**
 * A communication log's history: transitions recorded as the write paths record them (with the
 * values they replaced) are undone to the row as inserted, and replayed to the row as stored; a
 * migrated log's legacy transitions stay applied; edits of the current row or of a transition's
 * record show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DELIVERY_STATUSES } from '../../src/kinds/communication-log/communication-log-table.js';
import {
  applyTransition,
  expectedCurrent,
  initialState,
  legacyPrefixLength,
  transitionMismatches,
  undoTransition,
  withPreviousValues,
  type StoredCommunicationLog,
  type StoredTransition,
} from '../../src/integrity/leaves/delivery-history.js';

const T0 = 1_735_689_600_000;

const envelope = fc.option(fc.stringMatching(/^s1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{4,12}$/), { nil: null });
const epochMs = fc.integer({ min: T0, max: T0 + 10_000_000 });

const initialRow: fc.Arbitrary<StoredCommunicationLog> = fc
  .record({
    tenant_id: fc.constantFrom('acme', ''),
    id: fc.constant('log_1'),
    user_id: fc.string(),
    channel: fc.constantFrom('sms', 'email', 'push'),
    status: fc.constantFrom(...DELIVERY_STATUSES),
    recipient: fc.constant(''),
    content: fc.constant(''),
    provider: fc.string(),
    template_id: fc.string(),
    error: envelope,
    response: envelope,
    sent_at: fc.option(epochMs, { nil: null }),
    created_at: fc.constant(T0),
    updated_at: epochMs,
    sealed: envelope,
  })
  // fc.record builds objects without a prototype; deepStrictEqual would tell them from spread copies.
  .map((row) => ({ ...row }));

/** What a caller asks a transition to change (its from_status is the row's status when applied). */
const change = fc
  .record({
    to_status: fc.constantFrom(...DELIVERY_STATUSES),
    error: envelope,
    response: envelope,
    sent_at: fc.option(epochMs, { nil: null }),
    changed_at: epochMs,
  })
  .map((next) => ({ ...next }));
type Change = typeof change extends fc.Arbitrary<infer C> ? C : never;

/** The write paths' UPDATE, written out here as the model the module is checked against. */
function sqlUpdate(row: StoredCommunicationLog, next: Change): StoredCommunicationLog {
  const coalesce = <T>(value: T | null, otherwise: T | null) => (value !== null ? value : otherwise);
  return {
    ...row,
    status: next.to_status,
    error: coalesce(next.error, row.error),
    response: coalesce(next.response, row.response),
    sent_at: coalesce(next.sent_at, row.sent_at),
    updated_at: next.changed_at,
  };
}

/**
 * `changes` applied to `row` as a write path applies them (by the model): the final row and the
 * transitions stored, legacy ones without the values they replaced.
 */
function apply(
  row: StoredCommunicationLog,
  changes: readonly Change[],
  legacy = false,
): { row: StoredCommunicationLog; transitions: StoredTransition[] } {
  const transitions: StoredTransition[] = [];
  for (const next of changes) {
    const transition = { ...next, tenant_id: row.tenant_id, log_id: row.id, from_status: row.status };
    const replaced = legacy
      ? { prev_error: null, prev_response: null, prev_sent_at: null, prev_updated_at: null }
      : {
          prev_error: row.error,
          prev_response: row.response,
          prev_sent_at: row.sent_at,
          prev_updated_at: row.updated_at,
        };
    transitions.push({ ...transition, ...replaced });
    if (!legacy) assert.deepEqual(withPreviousValues(row, transition), { ...transition, ...replaced });
    const updated = sqlUpdate(row, next);
    assert.deepEqual(applyTransition(row, next), updated);
    row = updated;
  }
  return { row, transitions };
}

test('property: undoing the recorded transitions gives the row as inserted, replaying them the row as stored', () => {
  fc.assert(
    fc.property(initialRow, fc.array(change, { maxLength: 8 }), (initial, changes) => {
      const { row: current, transitions } = apply(initial, changes);
      assert.deepEqual(initialState(current, transitions), initial);
      assert.deepEqual(expectedCurrent(initial, transitions), current);
      assert.deepEqual(transitionMismatches(initial, transitions), []);
    }),
    { numRuns: 500 },
  );
});

test('property: a migrated log keeps its legacy transitions applied; only later ones are undone', () => {
  fc.assert(
    fc.property(
      initialRow,
      fc.array(change, { minLength: 1, maxLength: 4 }),
      fc.array(change, { maxLength: 4 }),
      (inserted, before, after) => {
        // Migration records the row as it then stood, after its (legacy) history.
        const legacy = apply(inserted, before, true);
        const later = apply(legacy.row, after);
        const transitions = [...legacy.transitions, ...later.transitions];
        assert.equal(legacyPrefixLength(transitions), before.length);
        assert.deepEqual(initialState(later.row, transitions), legacy.row);
        assert.deepEqual(expectedCurrent(legacy.row, transitions), later.row);
        assert.deepEqual(transitionMismatches(legacy.row, transitions), []);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: an edit of the current row changes what replaying expects, not the row as inserted', () => {
  fc.assert(
    fc.property(
      initialRow,
      fc.array(change, { minLength: 1, maxLength: 6 }),
      fc.record({ status: fc.string(), error: envelope, sent_at: fc.option(epochMs, { nil: null }) }),
      (initial, changes, edit) => {
        const { row: current, transitions } = apply(initial, changes);
        const edited = { ...current, ...edit };
        fc.pre(JSON.stringify(edited) !== JSON.stringify(current));
        assert.deepEqual(initialState(edited, transitions), initial);
        assert.notDeepEqual(expectedCurrent(initialState(edited, transitions), transitions), edited);
      },
    ),
    { numRuns: 300 },
  );
});

test('the coalesce rules: a null in the transition keeps the value, any other replaces it', () => {
  const row: StoredCommunicationLog = {
    ...{ tenant_id: 'acme', id: 'log_1', user_id: 'u', channel: 'email', status: 'pending' },
    ...{ recipient: '', content: '', provider: 'p', template_id: 't', sealed: 's1.AAAAAAAAAAA.eA' },
    ...{ error: 's1.AAAAAAAAAAA.ZQ', response: null, sent_at: null, created_at: T0, updated_at: T0 },
  };
  const sent = {
    to_status: 'sent',
    error: null,
    response: 's1.AAAAAAAAAAA.cg',
    sent_at: T0 + 5,
    changed_at: T0 + 9,
  };
  const after = applyTransition(row, sent);
  assert.deepEqual(after, {
    ...row,
    status: 'sent',
    response: sent.response,
    sent_at: T0 + 5,
    updated_at: T0 + 9,
  });
  const stored = withPreviousValues(row, {
    ...sent,
    tenant_id: 'acme',
    log_id: 'log_1',
    from_status: 'pending',
  });
  assert.deepEqual(
    [stored.prev_error, stored.prev_response, stored.prev_sent_at, stored.prev_updated_at],
    [row.error, null, null, T0],
  );
  assert.deepEqual(undoTransition(after, stored), row);
  assert.throws(() => undoTransition(after, { ...stored, prev_updated_at: null }), /legacy/);
});

test('transitionMismatches names a transition whose record disagrees with the replay', () => {
  const initial = fc.sample(initialRow, { numRuns: 1, seed: 16 })[0];
  assert.ok(initial);
  const changes = fc.sample(change, { numRuns: 4, seed: 16 });
  const { transitions } = apply(initial, changes);
  const edited = transitions.map((transition, index) =>
    index === 2 ? { ...transition, prev_updated_at: (transition.prev_updated_at ?? 0) + 1 } : transition,
  );
  assert.deepEqual(transitionMismatches(initial, edited), [2]);
  const wrongFrom = transitions.map((transition, index) =>
    index === 1 ? { ...transition, from_status: `${transition.from_status}x` } : transition,
  );
  assert.deepEqual(transitionMismatches(initial, wrongFrom), [1]);
  // A legacy transition after recorded ones makes them part of the legacy prefix: reported, not undone.
  const legacyLast = transitions.map((transition, index) =>
    index === 3 ? { ...transition, prev_updated_at: null } : transition,
  );
  assert.equal(legacyPrefixLength(legacyLast), 4);
  assert.deepEqual(transitionMismatches(initial, legacyLast), [0, 1, 2]);
});
