import assert from 'node:assert/strict';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from '../../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from '../../src/kinds/operate-log/operate-log-table.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { NotASealogStoreError, SqliteExport } from '../../src/storage/sqlite/sqlite-export.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { ACCESS_LOG_TABLE } from '../../src/kinds/access-log/access-log-table.js';
import { COMMUNICATION_LOG_TABLE } from '../../src/kinds/communication-log/communication-log-table.js';
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

  test('walks each table in (tenant_id, id) order, in batches, resuming strictly after a key', async () => {
    const source = new SqliteExport(path);
    try {
      const batches = [...source.communicationLogBatches(undefined, 2)];
      assert.deepEqual(
        batches.map((batch) => batch.map(({ log }) => `${log.tenant_id}/${log.id}`)),
        [
          ['tnt_0/c9', 'tnt_a/c1'],
          ['tnt_a/c2', 'tnt_a/c3'],
          ['tnt_a/c4', 'tnt_a/c5'],
        ],
      );
      const histories = new Map(
        batches.flat().map(({ log, transitions }) => [log.id, transitions.map((t) => t.to_status)]),
      );
      assert.deepEqual(Object.fromEntries(histories), {
        c9: [],
        c1: [],
        c2: ['sent', 'delivered'],
        c3: [],
        c4: ['failed'],
        c5: ['sent'],
      });
      // Batches hold rows as stored (personal fields sealed); open() gives them as the APIs do.
      const c1 = batches
        .flat()
        .filter(({ log }) => log.id === 'c1')
        .map(({ log }) => log);
      assert.equal(c1[0]?.recipient, '');
      assert.deepEqual(await source.open(COMMUNICATION_LOG_TABLE, c1), [communicationLog({ id: 'c1' })]);

      const resumed = [...source.communicationLogBatches({ tenantId: 'tnt_a', id: 'c3' }, 10)];
      assert.deepEqual(
        resumed.map((batch) => batch.map(({ log }) => log.id)),
        [['c4', 'c5']],
      );
      assert.equal(source.countRows('communication_logs', undefined), 6);
      assert.equal(source.countRows('communication_logs', { tenantId: 'tnt_a', id: 'c3' }), 2);
      assert.equal(source.countRows('communication_logs', { tenantId: 'tnt_z', id: '' }), 0);
      assert.deepEqual([...source.communicationLogBatches({ tenantId: 'tnt_z', id: '' }, 10)], []);

      const mfa = [...source.batches(MFA_CONFIG_AUDIT_LOG_TABLE, undefined, 1000)].flat();
      assert.deepEqual(await source.open(MFA_CONFIG_AUDIT_LOG_TABLE, mfa), [
        mfaLog({ id: 'm1' }),
        mfaLog({ id: 'm2' }),
      ]);
      const operate = [...source.batches(OPERATE_LOG_TABLE, undefined, 1)];
      assert.deepEqual(
        await Promise.all(operate.map((batch) => source.open(OPERATE_LOG_TABLE, batch))),
        [[operateLog({ id: 'o2' })], [operateLog({ tenant_id: 'tnt_b', id: 'o1' })]],
        'without the internal seq column',
      );
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

  test('reads a store of an older version: the tables of kinds added since hold no row', () => {
    const older = join(dir, 'older.db');
    const db = new Database(older);
    applyMigrations(db, 4); // before the access log (migration 5)
    db.close();
    const source = new SqliteExport(older);
    try {
      assert.equal(source.countRows('access_logs', undefined), 0);
      assert.deepEqual([...source.batches(ACCESS_LOG_TABLE, undefined, 10)], []);
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
