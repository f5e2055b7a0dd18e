/**
 * The leaves `sealog verify` recomputes on SQLite (sqlite-leaf-texts.ts: json_object() in SQL, the
 * encoder for the rest) against an oracle that shares nothing with SQLite: `canonicalize` of the
 * rows as they were generated, before they were stored. Generated rows of every kind, with every
 * class of character (controls, NUL, quotes, astral, U+2028), nulls and integers up to ±(2^53 − 1),
 * communication logs with histories, leaves numbered with gaps; the encoder-only path must agree
 * too. Rows no writer stores (a real, an integer past 2^53, text in an integer column, a blob) give
 * a refusal or a text that is no leaf's. In a real SQLite file, with the store's own schema.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import {
  applyTransition,
  withPreviousValues,
  type StoredCommunicationLog,
  type StoredTransition,
} from '../../src/integrity/leaves/delivery-history.js';
import type { LeafChecks } from '../../src/integrity/leaves/leaf-checks.js';
import {
  recordLeafEncoder,
  TRANSITION_LEAF_ENCODER,
  type LeafValue,
} from '../../src/integrity/leaves/leaf-encoder.js';
import type { LeafFormat } from '../../src/integrity/leaves/leaf-format.js';
import { LOG_TABLES } from '../../src/kinds/log-tables.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteLeafTexts } from '../../src/storage/sqlite/integrity/sqlite-leaf-texts.js';

const directory = mkdtempSync(join(tmpdir(), 'sealog-leaf-texts-'));
const db = new Database(join(directory, 'store.db'));
// Test data: no fsync a statement.
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
applyMigrations(db, Infinity);
after(() => {
  db.close();
  rmSync(directory, { recursive: true, force: true });
});

/** The encoder alone: what a bundled SQLite that wrote JSON otherwise would get. */
class EncoderOnly extends SqliteLeafTexts {
  override makesLeavesInSql(): boolean {
    return false;
  }
}
const sql = new SqliteLeafTexts(db);
const encoderOnly = new EncoderOnly(db);

const COMMUNICATION = 'communication-log';
const TENANT = 'tnt_a';

/** Strings over all of Unicode biased to what JSON escapes (no lone surrogates: a store holds UTF-8). */
const text = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    fc.constantFrom('"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u0080'),
    fc.constantFrom('\u2028', '\u2029', '\ufeff', '\ufffd', '\u{1f600}', '\u{10ffff}', 'e\u0301', "'"),
  ),
  maxLength: 30,
});
const safeInteger = fc.oneof(
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_735_689_600_000),
);

/** The columns of `table` that may hold NULL. */
function nullable(table: string): Set<string> {
  const columns = db.pragma(`table_info(${table})`) as { name: string; notnull: number }[];
  return new Set(columns.filter((column) => column.notnull === 0).map((column) => column.name));
}

/** A record of `format` (by value field), ids and tenant fixed by the caller. */
function recordOf(format: LeafFormat, table: string): fc.Arbitrary<Record<string, LeafValue>> {
  const nulls = nullable(table);
  const fields: Record<string, fc.Arbitrary<LeafValue>> = {};
  for (const field of format.fields) {
    if (field.constant !== undefined) continue;
    const value: fc.Arbitrary<LeafValue> = field.type === 'bigint' ? safeInteger : text;
    fields[field.name] = nulls.has(field.name) ? fc.option(value, { nil: null, freq: 4 }) : value;
  }
  return fc.record(fields).map((row) => ({ ...row }));
}

/** What a write path asks a transition to change. */
const change = fc
  .record({
    to_status: text,
    error: fc.option(text, { nil: null }),
    response: fc.option(text, { nil: null }),
    sent_at: fc.option(safeInteger, { nil: null }),
    changed_at: safeInteger,
  })
  .map((next) => ({ ...next }));

type Change = typeof change extends fc.Arbitrary<infer C> ? C : never;

/** One generated record: as inserted (its leaf), and the transitions a write path then stored. */
interface Generated {
  inserted: Record<string, LeafValue>;
  changes: readonly Change[];
}

function insertRow(table: string, row: Readonly<Record<string, unknown>>): void {
  const names = Object.keys(row);
  db.prepare(
    `INSERT INTO ${table} (${names.map((name) => `"${name}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
  ).run(...names.map((name) => row[name]));
}

/**
 * Stores `records` of `kind` (each a leaf, then one leaf a transition) as a write path would,
 * leaving out the leaves in `gaps`; returns the expected text of every leaf by index.
 */
function store(kind: string, records: readonly Generated[], gaps: ReadonlySet<number>): Map<number, string> {
  return db.transaction(() => storeRows(kind, records, gaps))();
}

function storeRows(
  kind: string,
  records: readonly Generated[],
  gaps: ReadonlySet<number>,
): Map<number, string> {
  const table = LOG_TABLES.find((candidate) => candidate.kind === kind)?.table ?? '';
  db.exec(`DELETE FROM ${table}; DELETE FROM communication_log_transitions; DELETE FROM integrity_leaves`);
  const encoder = recordLeafEncoder(kind);
  const expected = new Map<number, string>();
  let leaf = 0;
  const number = (recordId: string, transition: number, leafText: string) => {
    if (!gaps.has(leaf)) {
      db.prepare(
        'INSERT INTO integrity_leaves (tenant_id, kind, leaf_index, record_id, transition) VALUES (?, ?, ?, ?, ?)',
      ).run(TENANT, kind, leaf, recordId, transition);
      expected.set(leaf, leafText);
    }
    leaf++;
  };
  records.forEach(({ inserted, changes }, position) => {
    const row = { ...inserted, tenant_id: TENANT, id: `rec_${position}` };
    number(row.id, 0, canonicalize(encoder.leafObject(row)) ?? '');
    if (kind !== COMMUNICATION) {
      insertRow(table, row);
      return;
    }
    let current = row as unknown as StoredCommunicationLog;
    changes.forEach((next, rank) => {
      const transition: StoredTransition = withPreviousValues(current, {
        ...next,
        tenant_id: TENANT,
        log_id: row.id,
        from_status: current.status,
      });
      insertRow('communication_log_transitions', transition as unknown as Record<string, unknown>);
      const leafRow = { ...(transition as unknown as Record<string, LeafValue>), transition: rank + 1 };
      number(row.id, rank + 1, canonicalize(TRANSITION_LEAF_ENCODER.leafObject(leafRow)) ?? '');
      current = applyTransition(current, next);
    });
    insertRow(table, current);
  });
  return expected;
}

/** The texts of `checks` by leaf index, failing on a refusal or a current state said to differ. */
function textsOf(checks: LeafChecks): Map<number, string | undefined> {
  assert.deepEqual([...checks.refusals], []);
  assert.deepEqual(checks.currentDiffers, []);
  return new Map(checks.leafIndexes.map((leafIndex, position) => [leafIndex, checks.texts[position]]));
}

test('SQLite makes the record leaves of every kind (its JSON is checked against the encoder)', () => {
  for (const table of LOG_TABLES) assert.equal(sql.makesLeavesInSql(table.kind), true, table.kind);
  assert.equal(encoderOnly.makesLeavesInSql(), false);
});

for (const table of LOG_TABLES) {
  const format = recordLeafEncoder(table.kind).format;
  test(`property: ${table.kind} leaves as SQLite and the encoder make them are canonicalize's`, () => {
    const generated = fc.record({
      inserted: recordOf(format, table.table),
      changes:
        table.kind === COMMUNICATION
          ? fc.array(change, { maxLength: 3 })
          : fc.constant<readonly Change[]>([]),
    });
    fc.assert(
      fc.property(
        fc.array(generated, { minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.nat({ max: 40 }), { maxLength: 3 }),
        fc.nat({ max: 5 }),
        (records, gapList, from) => {
          const expected = store(table.kind, records, new Set(gapList));
          const end = Math.max(...expected.keys(), 0) + 1;
          const start = Math.min(from, end);
          const wanted = new Map([...expected].filter(([leafIndex]) => leafIndex >= start));
          const log = { tenantId: TENANT, kind: table.kind };
          assert.deepEqual(textsOf(sql.read(log, start, end)), wanted);
          assert.deepEqual(textsOf(encoderOnly.read(log, start, end)), wanted);
        },
      ),
      { numRuns: 150 },
    );
  });
}

test('a row holding what no writer stores is refused, or makes a text that is no leaf', () => {
  const format = recordLeafEncoder('operate-log').format;
  const base = fc.sample(recordOf(format, 'operate_logs'), { numRuns: 1, seed: 7 })[0] ?? {};
  const log = { tenantId: TENANT, kind: 'operate-log' };
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['a real in an integer column', 'record_time = 1.5'],
    ['an integer past 2^53', 'record_time = 9007199254740993'],
    ['text in an integer column', "record_time = 'soon'"],
    ['a blob in a text column', "uid = X'00ff'"],
  ];
  for (const [name, assignment] of cases) {
    store('operate-log', [{ inserted: base, changes: [] }], new Set());
    db.exec(`UPDATE operate_logs SET ${assignment}`);
    for (const reader of [sql, encoderOnly]) {
      const checks = reader.read(log, 0, 1);
      assert.equal(checks.length, 1, name);
      const leafText = checks.texts[0];
      if (leafText === undefined) {
        assert.match(checks.refusals.get(0) ?? '', /^operate-log record leaf: \w+ must be /, name);
      } else {
        // SQLite wrote the value as it is stored: no writer's leaf holds it.
        assert.throws(
          () => recordLeafEncoder('operate-log').encodeText(JSON.parse(leafText) as Record<string, unknown>),
          TypeError,
          `${name}: ${leafText}`,
        );
      }
    }
    // The encoder names what is wrong.
    assert.ok(encoderOnly.read(log, 0, 1).refusals.has(0), name);
  }
});

test('a communication log: its current state edited, a transition gone, a record gone', () => {
  const format = recordLeafEncoder(COMMUNICATION).format;
  const [inserted = {}] = fc.sample(recordOf(format, 'communication_logs'), { numRuns: 1, seed: 3 });
  const changes = fc.sample(change, { numRuns: 2, seed: 5 });
  const log = { tenantId: TENANT, kind: COMMUNICATION };
  for (const reader of [sql, encoderOnly]) {
    store(COMMUNICATION, [{ inserted, changes }], new Set());
    db.exec("UPDATE communication_logs SET status = 'edited'");
    assert.deepEqual(reader.read(log, 0, 3).currentDiffers, [0]);
    db.exec(
      'DELETE FROM communication_log_transitions WHERE seq = (SELECT max(seq) FROM communication_log_transitions)',
    );
    const withoutTransition = reader.read(log, 0, 3);
    assert.deepEqual(withoutTransition.leafIndexes, [0, 1, 2]);
    assert.equal(withoutTransition.texts[2], undefined);
    assert.equal(withoutTransition.refusals.size, 0);
    db.exec('DELETE FROM communication_logs');
    const withoutRecord = reader.read(log, 0, 3);
    assert.equal(withoutRecord.texts[0], undefined);
    assert.notEqual(withoutRecord.texts[1], undefined, 'a transition leaf is its transition row');
  }
});
