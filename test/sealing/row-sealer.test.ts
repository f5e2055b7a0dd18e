import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { COMMUNICATION_LOG_TABLE } from '../../src/kinds/communication-log/communication-log-table.js';
import type { LogRow, LogTable } from '../../src/kinds/log-table.js';
import { LOG_TABLES } from '../../src/kinds/log-tables.js';
import { OPERATE_LOG_TABLE } from '../../src/kinds/operate-log/operate-log-table.js';
import { foldAsciiCase, SEALED_COLUMN } from '../../src/sealing/personal-fields.js';
import { PlaintextCache } from '../../src/sealing/plaintext-cache.js';
import { ERASED, RowSealer, type StoredRow } from '../../src/sealing/row-sealer.js';
import { SealedFieldError } from '../../src/sealing/sealed-envelope.js';
import { SubjectKeyRing } from '../../src/sealing/subject-key-ring.js';
import { containsPattern } from '../../src/storage/keyword-plan.js';
import { MemorySubjectKeyStore, randomMasterKeys } from './memory-subject-key-store.js';

function newSealer() {
  const store = new MemorySubjectKeyStore();
  const masterKeys = randomMasterKeys('m1');
  const sealer = new RowSealer(new SubjectKeyRing(store, masterKeys), new PlaintextCache());
  /** Seals as the sealed store will: keys stored with the rows, adopted once written. */
  const seal = async (table: LogTable, rows: readonly LogRow[]): Promise<StoredRow[]> => {
    const sealed = await sealer.sealRows(table, rows);
    store.insert(sealed.newKeys);
    sealer.adopt(sealed.newKeys);
    return sealed.rows;
  };
  return { store, masterKeys, sealer, seal };
}

const text = fc.string({ unit: 'binary', maxLength: 24 });
/** Random rows of `table`: every column typed, separately sealed ones sometimes null. */
function rowsOf(table: LogTable): fc.Arbitrary<LogRow[]> {
  const separate = table.sealing.separate ?? [];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [column, type] of table.columns) {
    model[column] =
      type === 'bigint'
        ? fc.option(fc.maxSafeInteger(), { nil: null })
        : separate.includes(column)
          ? fc.option(text, { nil: null })
          : text;
  }
  model.tenant_id = fc.constantFrom('t1', 't2', '');
  model[table.sealing.subject] = fc.oneof(fc.constantFrom('', 'alice', 'bob'), text);
  // fc.record builds null-prototype objects; rows from a store are plain ones.
  const row = fc.record(model).map((fields) => ({ ...fields }) as unknown as LogRow);
  return fc.array(row, { maxLength: 12 });
}

test('row sealer: every kind round-trips through sealRows/openRows; stored rows hold no sealed value', async () => {
  for (const table of LOG_TABLES) {
    const { sealer, seal } = newSealer();
    const { sealed, separate = [], searchCopy } = table.sealing;
    await fc.assert(
      fc.asyncProperty(rowsOf(table), async (rows) => {
        const stored = await seal(table, rows);
        stored.forEach((row, index) => {
          const plain = rows[index] as unknown as Record<string, unknown>;
          for (const column of sealed) assert.equal(row[column], '');
          assert.match(String(row[SEALED_COLUMN]), /^s1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]+$/);
          for (const column of separate) {
            if (plain[column] === null) assert.equal(row[column], null);
            else assert.match(String(row[column]), /^s1\./);
          }
          if (searchCopy) assert.equal(row[searchCopy.column], foldAsciiCase(String(plain[searchCopy.of])));
        });
        const opened = await sealer.openRows(table, stored);
        assert.deepEqual(opened, rows);
        for (const row of opened)
          assert.deepEqual(
            Object.keys(row),
            table.columns.map(([column]) => column),
          );
        assert.deepEqual(await sealer.openRows(table, stored), rows, 'again, from the plaintext cache');
      }),
      { numRuns: 60 },
    );
  }
});

const OPERATE_ROW = {
  tenant_id: 't1',
  id: 'op_1',
  record_time: 1_790_000_000_000,
  uid: 'u1',
  username: 'Alice',
  operate_type: 'login',
  operate_content: 'Turned ON the Light — Ärger',
  user_id: 'alice',
  role: 'admin',
  account: 'alice@example.com',
  operate_geo_info: '{"city":"Berlin"}',
  operate_ip_info: '10.0.0.1',
  client_id: 'c1',
  merchant_code: 'm',
  ext: '{}',
  project_code: 'p',
};
const COMMUNICATION_ROW = {
  tenant_id: 't1',
  id: 'log_1',
  user_id: 'alice',
  channel: 'sms',
  status: 'failed',
  recipient: '+4915112345678',
  content: 'Your code is 123456',
  provider: 'twilio',
  template_id: 'otp',
  error: 'unreachable',
  response: null,
  sent_at: null,
  created_at: 1_790_000_000_000,
  updated_at: 1_790_000_000_000,
};

test('row sealer: one operate-log envelope per row; search_text folds ASCII letters only', async () => {
  const { seal } = newSealer();
  const [stored] = await seal(OPERATE_LOG_TABLE, [OPERATE_ROW]);
  assert.ok(stored);
  assert.equal(stored.search_text, 'turned on the light — Ärger');
  assert.deepEqual(
    Object.entries(stored).filter(([, value]) => typeof value === 'string' && value.startsWith('s1.')),
    [[SEALED_COLUMN, stored[SEALED_COLUMN]]],
  );
});

test('row sealer: search_text matches a key_words term exactly where SQLite LIKE on the content does', () => {
  const db = new Database(':memory:');
  const like = db.prepare<[string, string], { matches: number }>("SELECT ? LIKE ? ESCAPE '\\' AS matches");
  const letters = fc.string({
    unit: fc.constantFrom('a', 'A', 'z', 'Z', 'ä', 'Ä', 'ı', 'I', 'ǅ', '%', '_', '\\', ' '),
    maxLength: 8,
  });
  fc.assert(
    fc.property(letters, letters, (content, term) => {
      const sqlite = like.get(content, containsPattern(term))?.matches === 1;
      // PostgreSQL: strpos(search_text, folded term) > 0; SQLite: search_text LIKE the pattern.
      assert.equal(foldAsciiCase(content).includes(foldAsciiCase(term)), sqlite);
      assert.equal(like.get(foldAsciiCase(content), containsPattern(term))?.matches === 1, sqlite);
    }),
    { numRuns: 2000 },
  );
  db.close();
});

test('row sealer: an erased subject reads [erased] in every personal field, null stays null', async () => {
  const { store, sealer, seal } = newSealer();
  const bob = { ...COMMUNICATION_ROW, id: 'log_2', user_id: 'bob' };
  const stored = await seal(COMMUNICATION_LOG_TABLE, [COMMUNICATION_ROW, bob]);
  assert.deepEqual(await sealer.openRows(COMMUNICATION_LOG_TABLE, stored), [COMMUNICATION_ROW, bob]);

  // Erasure (next issue): keys deleted, ring and plaintext cache told which ids went.
  const erased = store.erase('t1', 'alice');
  sealer.ring.forgetKeys('t1', erased);
  assert.equal(sealer.plaintexts.evictKeyIds(erased), 2, 'the row envelope and the error envelope');
  const opened = await sealer.openRows(COMMUNICATION_LOG_TABLE, stored);
  assert.deepEqual(opened, [
    { ...COMMUNICATION_ROW, recipient: ERASED, content: ERASED, error: ERASED, response: null },
    bob,
  ]);
});

test('row sealer: an envelope moved onto another row fails, even while its plaintext is cached', async () => {
  const { sealer, seal } = newSealer();
  const stored = await seal(OPERATE_LOG_TABLE, [
    OPERATE_ROW,
    { ...OPERATE_ROW, id: 'op_2', username: 'Bob' },
  ]);
  await sealer.openRows(OPERATE_LOG_TABLE, stored);
  const [first, second] = stored;
  assert.ok(first && second);
  const moved = { ...second, [SEALED_COLUMN]: first[SEALED_COLUMN] };
  await assert.rejects(sealer.openRows(OPERATE_LOG_TABLE, [moved]), SealedFieldError);
  const tampered = { ...first, [SEALED_COLUMN]: `${String(first[SEALED_COLUMN]).slice(0, -2)}AA` };
  await assert.rejects(sealer.openRows(OPERATE_LOG_TABLE, [tampered]), SealedFieldError);
});

test('row sealer: rows not sealed yet come back as stored; transitions seal and open their columns', async () => {
  const { store, sealer, seal } = newSealer();
  const legacy = { ...COMMUNICATION_ROW, id: 'log_0', [SEALED_COLUMN]: null };
  assert.deepEqual(await sealer.openRows(COMMUNICATION_LOG_TABLE, [legacy]), [
    { ...COMMUNICATION_ROW, id: 'log_0' },
  ]);

  const [row] = await seal(COMMUNICATION_LOG_TABLE, [COMMUNICATION_ROW]);
  assert.ok(row);
  const owner = { tenantId: 't1', recordId: 'log_1', subject: 'alice' };
  const sealed = await sealer.sealColumns(COMMUNICATION_LOG_TABLE, owner, {
    error: null,
    response: '{"id":"SM1"}',
  });
  assert.deepEqual(sealed.newKeys, [], "alice's current key");
  assert.equal(sealed.values.error, null);
  // The transition keeps what it replaced (the row's envelope, copied) next to its own values.
  const transition = {
    tenant_id: 't1',
    log_id: 'log_1',
    ...sealed.values,
    prev_error: row.error,
    to_status: 'sent',
  };
  const columns = [
    ['error', 'error'],
    ['response', 'response'],
    ['prev_error', 'error'],
  ] as const;
  const ownerOf = (item: typeof transition) => ({ tenantId: item.tenant_id, recordId: item.log_id });
  const [opened] = await sealer.openColumns(COMMUNICATION_LOG_TABLE, [transition], ownerOf, columns);
  assert.deepEqual(opened, { ...transition, response: '{"id":"SM1"}', prev_error: 'unreachable' });

  // coalesce() copies the transition's envelope into the row: it opens there too.
  const updated = { ...row, status: 'sent', response: sealed.values.response };
  const [current] = await sealer.openRows(COMMUNICATION_LOG_TABLE, [updated]);
  assert.equal(current?.response, '{"id":"SM1"}');

  const erased = store.erase('t1', 'alice');
  sealer.ring.forgetKeys('t1', erased);
  sealer.plaintexts.evictKeyIds(erased);
  const [gone] = await sealer.openColumns(COMMUNICATION_LOG_TABLE, [transition], ownerOf, columns);
  assert.deepEqual(gone, { ...transition, response: ERASED, prev_error: ERASED });
  await assert.rejects(
    sealer.sealColumns(COMMUNICATION_LOG_TABLE, owner, { recipient: 'x' }),
    /not a separately sealed/,
  );
});

test('row sealer: a batch costs one key lookup per tenant to seal and to open; cached reads none', async () => {
  const { store, masterKeys, seal } = newSealer();
  const rows = Array.from({ length: 200 }, (_, n) => ({
    ...OPERATE_ROW,
    tenant_id: n % 2 === 0 ? 't1' : 't2',
    id: `op_${n}`,
    user_id: `user-${n % 10}`,
  }));
  const stored = await seal(OPERATE_LOG_TABLE, rows);
  assert.deepEqual(store.takeCalls(), [
    ['findCurrent', 't1', 5],
    ['findCurrent', 't2', 5],
  ]);
  await seal(OPERATE_LOG_TABLE, rows);
  assert.deepEqual(store.takeCalls(), [], 'current keys are cached');

  // Another process: its own ring and caches over the same keys.
  const reader = new RowSealer(new SubjectKeyRing(store, masterKeys), new PlaintextCache());
  assert.deepEqual(await reader.openRows(OPERATE_LOG_TABLE, stored), rows);
  assert.deepEqual(store.takeCalls(), [
    ['findByIds', 't1', 5],
    ['findByIds', 't2', 5],
  ]);
  assert.equal(reader.plaintexts.size, 200);
  assert.deepEqual(await reader.openRows(OPERATE_LOG_TABLE, stored), rows);
  assert.deepEqual(store.takeCalls(), []);
});

test('row sealer: a read-once batch (an export) opens the same rows, keeps its keys apart and no plaintext; erased still reads [erased]', async () => {
  const { store, masterKeys, seal } = newSealer();
  const rows = Array.from({ length: 40 }, (_, n) => ({
    ...COMMUNICATION_ROW,
    id: `log_${n}`,
    user_id: `user-${n % 8}`,
  }));
  const stored = await seal(COMMUNICATION_LOG_TABLE, rows);

  // Another process's reader, so that nothing is cached from the sealing.
  const reader = new RowSealer(new SubjectKeyRing(store, masterKeys), new PlaintextCache());
  store.takeCalls();
  assert.deepEqual(await reader.openRows(COMMUNICATION_LOG_TABLE, stored, { once: true }), rows);
  assert.equal(reader.plaintexts.size, 0, 'no plaintext kept');
  // One lookup per round (the row envelopes' subject keys, then the content's period key).
  assert.deepEqual(store.takeCalls(), [
    ['findByIds', 't1', 8],
    ['findByIds', 't1', 1],
  ]);
  // The next page of the same export meets the same users: their keys are not looked up again.
  assert.deepEqual(await reader.openRows(COMMUNICATION_LOG_TABLE, stored, { once: true }), rows);
  assert.deepEqual(store.takeCalls(), [], 'the walks keep their keys');

  // Erased while only the walks held its keys: read-once reads [erased].
  const erased = store.erase('t1', 'user-0');
  reader.forgetErased('t1', 'user-0', erased);
  const opened = await reader.openRows(COMMUNICATION_LOG_TABLE, stored, { once: true });
  opened.forEach((row, n) => {
    const expected = rows[n];
    assert.ok(expected);
    if (n % 8 === 0) {
      assert.equal(row.recipient, ERASED);
      assert.equal(row.content, ERASED);
      assert.equal(row.error, ERASED);
    } else assert.deepEqual(row, expected);
  });

  // The walks' keys stay out of the main cache: a read that keeps looks its keys up.
  store.takeCalls();
  await reader.openRows(COMMUNICATION_LOG_TABLE, stored);
  assert.ok(store.takeCalls().length > 0, 'a keeping read does not find the walks’ keys in its cache');
  assert.equal(reader.plaintexts.size, 35 * 3, 'row, content and error envelopes of the rows not erased');
  // A read-once batch uses the main cache's keys without a lookup.
  await reader.openRows(COMMUNICATION_LOG_TABLE, stored, { once: true });
  assert.deepEqual(store.takeCalls(), []);
});
