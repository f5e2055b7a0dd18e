import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { NotASealogStoreError, SqliteExport } from '../../src/storage/sqlite/sqlite-export.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { communicationLog, mfaLog, operateLog } from './store-contract.js';

describe('SqliteExport', () => {
  let dir: string;
  let path: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-export-'));
    path = join(dir, 'source.db');
    const store = new SqliteStore(path);
    try {
      await store.migrate();
      // Inserted out of key order, so the walk's ordering is the reader's doing.
      await store.communicationLogs.insertMany(
        ['c5', 'c1', 'c4', 'c2', 'c3'].map((id) => communicationLog({ id })),
      );
      await store.communicationLogs.insertMany([communicationLog({ tenant_id: 'tnt_0', id: 'c9' })]);
      for (const [id, statuses] of [
        ['c2', ['pending', 'sent', 'delivered']],
        ['c4', ['pending', 'failed']],
        ['c5', ['pending', 'sent']],
      ] as const) {
        for (let step = 1; step < statuses.length; step++) {
          await store.communicationLogs.applyTransition({
            tenant_id: 'tnt_a',
            log_id: id,
            from_status: statuses[step - 1] ?? 'pending',
            to_status: statuses[step] ?? 'pending',
            error: null,
            response: null,
            sent_at: null,
            changed_at: step,
          });
        }
      }
      await store.mfaConfigAuditLogs.insertMany([mfaLog({ id: 'm2' }), mfaLog({ id: 'm1' })]);
      await store.operateLogs.insertMany([
        operateLog({ tenant_id: 'tnt_b', id: 'o1' }),
        operateLog({ id: 'o2' }),
      ]);
    } finally {
      await store.close();
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads a log leaf by leaf, raw, each batch whole as of its last leaf', () => {
    const source = new SqliteExport(path);
    try {
      assert.equal(source.notCopyable(), undefined, 'a store of this version is copyable');
      assert.deepEqual(
        source.logStates().map((log) => [log.kind, log.tenantId, log.assigned]),
        [
          ['communication-log', 'tnt_0', 1],
          ['communication-log', 'tnt_a', 9],
          ['mfa-config-audit-log', 'tnt_a', 2],
          ['operate-log', 'tnt_a', 1],
          ['operate-log', 'tnt_b', 1],
        ],
        'kinds in their order, then tenants',
      );
      const log = { tenantId: 'tnt_a', kind: 'communication-log' };
      const batches = [0, 2, 4, 6, 8].map((start) => source.leafBatch(log, start, 2));
      assert.deepEqual(
        batches.map((batch) => batch.leaves.map((leaf) => `${leaf.recordId}#${leaf.transition}`)),
        [['c1#0', 'c2#0'], ['c3#0', 'c4#0'], ['c5#0', 'c2#1'], ['c2#2', 'c4#1'], ['c5#1']],
        'records in id order as written, then transitions in the order accepted',
      );
      assert.deepEqual(source.leafBatch(log, 9, 2).leaves, [], 'past the end');
      const at = (position: number) => {
        const batch = batches[position];
        assert.ok(batch);
        return batch;
      };
      const [first, third, fourth, fifth] = [at(0), at(2), at(3), at(4)];
      // Sealed as stored; c2 travels as it was before its transitions, which come later.
      assert.equal(first.records[0]?.recipient, '');
      assert.match(String(first.records[0].sealed), /^s1\./);
      assert.deepEqual(
        first.records.map((record) => [record.id, record.status, record.updated_at]),
        [
          ['c1', 'pending', communicationLog({ id: 'c1' }).updated_at],
          ['c2', 'pending', communicationLog({ id: 'c2' }).updated_at],
        ],
      );
      const keyIds = new Set(first.records.map((record) => String(record.sealed).split('.')[1]));
      // Besides its envelopes' keys, the batch carries the period keys of the days of its records'
      // bodies (sealed again inside the envelopes, under a key whose id the ciphertext hides).
      const periodKeys = first.subjectKeys.filter((key) => key.subject.startsWith('\u0001content/'));
      assert.deepEqual(
        new Set(periodKeys.map((key) => key.subject)),
        new Set(
          first.records.map(
            (record) => `\u0001content/${new Date(Number(record.created_at)).toISOString().slice(0, 10)}`,
          ),
        ),
      );
      assert.deepEqual(
        new Set(first.subjectKeys.filter((key) => !periodKeys.includes(key)).map((key) => key.key_id)),
        keyIds,
        'the keys of its envelopes',
      );
      assert.ok(first.subjectKeys.every((key) => key.wrapped.length > 0 && key.tenant_id === 'tnt_a'));
      // c2's first transition: stored with what it replaced; c2 moves to where it leaves it.
      assert.deepEqual(
        third.transitions.map((t) => [t.log_id, t.from_status, t.to_status, t.prev_updated_at]),
        [['c2', 'pending', 'sent', communicationLog({ id: 'c2' }).updated_at]],
      );
      assert.deepEqual(
        third.records.map((record) => [record.id, record.status]),
        [['c5', 'pending']],
      );
      assert.deepEqual(
        third.moved.map((state) => [state.id, state.status, state.updated_at]),
        [['c2', 'sent', 1]],
      );
      assert.deepEqual(
        fourth.moved.map((state) => [state.id, state.status]),
        [
          ['c2', 'delivered'],
          ['c4', 'failed'],
        ],
      );
      assert.deepEqual(
        fifth.moved.map((state) => [state.id, state.status]),
        [['c5', 'sent']],
      );

      const mfa = source.leafBatch({ tenantId: 'tnt_a', kind: 'mfa-config-audit-log' }, 0, 10);
      assert.deepEqual(
        mfa.records.map((record) => [record.id, record.message]),
        [
          ['m1', ''],
          ['m2', ''],
        ],
      );
      assert.deepEqual([mfa.transitions, mfa.moved], [[], []]);
    } finally {
      source.close();
    }
  });

  test('tally matches the store it reads, and reading changes nothing', async () => {
    const before = readFileSync(path);
    const source = new SqliteExport(path);
    const tally = source.tally();
    source.close();
    assert.deepEqual(readFileSync(path), before);
    const store = new SqliteStore(path);
    try {
      assert.deepEqual(tally, await store.tally());
    } finally {
      await store.close();
    }
    assert.deepEqual(
      tally.filter((entry) => entry.table === 'communication_log_transitions'),
      [{ table: 'communication_log_transitions', tenantId: 'tnt_a', rows: 4 }],
    );
  });

  test('says a store of an older version cannot be copied as it is', () => {
    const older = join(dir, 'older.db');
    const db = new Database(older);
    applyMigrations(db, 4); // before sealing and the integrity log
    db.close();
    const source = new SqliteExport(older);
    try {
      assert.match(
        source.notCopyable() ?? '',
        /is at schema version 4, before its rows were sealed and signed/,
      );
      assert.deepEqual(source.tally(), []);
    } finally {
      source.close();
    }
  });

  test('refuses a missing file, a file that is no database, and a database that is no sealog store', () => {
    const missing = join(dir, 'missing.db');
    assert.throws(() => new SqliteExport(missing), {
      name: 'NotASealogStoreError',
      message: /does not exist/,
    });
    assert.throws(() => statSync(missing), 'not created');

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database, just some text that is long enough to have a header\n'.repeat(10));
    assert.throws(() => new SqliteExport(text), /is not an SQLite database/);

    const other = join(dir, 'other.db');
    const unrelated = new Database(other);
    unrelated.exec('CREATE TABLE t (x)');
    unrelated.close();
    assert.throws(
      () => new SqliteExport(other),
      (error: unknown) =>
        error instanceof NotASealogStoreError &&
        /is not a sealog store \(no schema_migrations, /.test(error.message),
    );
  });
});
