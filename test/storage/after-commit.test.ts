/**
 * The after-commit seam (src/domain/after-commit.ts) on real stores: a SQLite file, and PostgreSQL
 * when TEST_DATABASE_URL is set. A subscriber catches up when it subscribes; it hears exactly the
 * rows each insertMany / importMany stored, one notification per tenant, in commit order; one
 * that fails never fails a write and is made to catch up; with the 'catch-up' overflow writes do
 * not wait for a blocked subscriber, which catches up instead; concurrent SQLite writes are heard
 * in the order of their rows' seq.
 * After a drop, the catch-up comes before the notifications of later commits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { AfterCommit, AppendedRows, CommitSubscriber } from '../../src/domain/after-commit.js';
import type { AuditStore } from '../../src/domain/audit-store.js';
import type { LogRow } from '../../src/kinds/log-table.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { waitFor } from '../helpers/wait-for.js';
import { communicationLog, mfaLog, operateLog } from './store-contract.js';

type SeamStore = AuditStore & { readonly afterCommit: AfterCommit };

interface Fixture {
  store: SeamStore;
  dispose: () => Promise<void>;
}

/** Turns a hang into a failure; never an expectation (the retry after a failure pauses ~1 s). */
const GUARD = { limitMs: 30_000 };

/** A notification as the test compares it: the ids of the rows it carried. */
interface Heard {
  table: string;
  tenantId: string;
  rows: readonly string[];
}

/** A subscriber that records what it hears; it can be made to fail, or to block on a gate. */
class Recorder implements CommitSubscriber {
  readonly name = 'after-commit-test';
  readonly heard: Heard[] = [];
  /** 'catch-up' and the ids of each notification, in the order the seam called. */
  readonly calls: string[] = [];
  catchUps = 0;
  /** appended() throws this many more times. */
  failures = 0;
  /** Set: appended() waits for it. */
  gate: Promise<void> | undefined;
  /** Calls of appended() that reached the gate. */
  blocked = 0;

  async appended(batch: AppendedRows): Promise<void> {
    this.calls.push(batch.rows.map((row) => row.id).join(','));
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('the subscriber is down');
    }
    if (this.gate !== undefined) {
      this.blocked += 1;
      await this.gate;
    }
    // The seam carries rows as stored: personal fields sealed, never in plaintext.
    for (const row of batch.rows)
      assert.equal(typeof (row as LogRow & { sealed?: unknown }).sealed, 'string');
    this.heard.push({
      table: batch.table.table,
      tenantId: batch.tenantId,
      rows: batch.rows.map((row) => row.id),
    });
  }

  catchUp(): Promise<void> {
    this.catchUps += 1;
    this.calls.push('catch-up');
    return Promise.resolve();
  }

  /** Ids heard of `table` for `tenantId`, concatenated in the order heard. */
  ids(table: string, tenantId = 'tnt_a'): string[] {
    return this.heard
      .filter((batch) => batch.table === table && batch.tenantId === tenantId)
      .flatMap((batch) => batch.rows);
  }

  hasHeard(id: string): boolean {
    return this.heard.some((batch) => batch.rows.includes(id));
  }
}

async function subscribed(store: SeamStore, options: Parameters<AfterCommit['subscribe']>[1]) {
  const recorder = new Recorder();
  store.afterCommit.subscribe(recorder, options);
  await waitFor('the catch-up on subscribe', () => recorder.catchUps === 1, GUARD);
  return recorder;
}

const ops = (prefix: string, count: number, tenant = 'tnt_a') =>
  Array.from({ length: count }, (_, i) => operateLog({ id: `${prefix}${i}`, tenant_id: tenant }));

/**
 * With 'catch-up' and room for 5 rows: x (3 rows) blocks the subscriber, y (4 more) overflows and
 * is dropped, z (6) is queued anew; both writes must resolve while the subscriber is blocked. Then
 * it is released, must catch up again, and must hear a last write w.
 */
async function overflowWhileBlocked(store: SeamStore): Promise<Recorder> {
  const recorder = await subscribed(store, { capacityRows: 5, overflow: 'catch-up' });
  let release: () => void = () => undefined;
  recorder.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await store.operateLogs.insertMany(ops('x', 3));
    await waitFor('the subscriber to block', () => recorder.blocked === 1, GUARD);
    let written = false;
    const writes = (async () => {
      await store.operateLogs.insertMany(ops('y', 4));
      await store.operateLogs.insertMany(ops('z', 6));
      written = true;
    })();
    await waitFor('the writes, while the subscriber is blocked', () => written, GUARD);
    await writes;
    assert.equal(recorder.catchUps, 1);
    assert.deepEqual(recorder.heard, []);
  } finally {
    release();
  }
  recorder.gate = undefined;
  await waitFor('the catch-up for the dropped notifications', () => recorder.catchUps === 2, GUARD);
  await store.operateLogs.insertMany(ops('w', 1));
  await waitFor('a write after the catch-up', () => recorder.hasHeard('w0'), GUARD);
  return recorder;
}

function openSqlite(): Promise<Fixture & { path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-after-commit-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStore(path);
  const dispose = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return store.migrate().then(
    () => ({ store, path, dispose }),
    async (error: unknown) => {
      await dispose();
      throw error;
    },
  );
}

async function openPostgres(): Promise<Fixture> {
  const schema = await createTestSchema();
  const store = new PostgresStore({
    url: schema.url,
    poolSize: 4,
    statementTimeoutMs: 10_000,
    unavailableTimeoutMs: 5_000,
  });
  const dispose = async () => {
    await store.close();
    await schema.drop();
  };
  try {
    await store.migrate();
  } catch (error) {
    await dispose();
    throw error;
  }
  return { store, dispose };
}

async function withStore(open: () => Promise<Fixture>, body: (store: SeamStore) => Promise<void>) {
  const fixture = await open();
  try {
    await body(fixture.store);
  } finally {
    await fixture.dispose();
  }
}

function describeSeam(name: string, open: () => Promise<Fixture>): void {
  describe(`after-commit seam: ${name}`, () => {
    test('hears exactly the rows each write stored, one notification per tenant, in commit order', () =>
      withStore(open, async (store) => {
        const recorder = await subscribed(store, { capacityRows: 1000, overflow: 'wait' });
        const c1 = communicationLog({ id: 'c1' });
        const c2 = communicationLog({ id: 'c2', tenant_id: 'tnt_b' });
        const c3 = communicationLog({ id: 'c3' });
        await store.communicationLogs.insertMany([c1, c2, c3]);
        await waitFor('a notification per tenant', () => recorder.heard.length === 2, GUARD);
        const byTenant = [...recorder.heard].sort((a, b) => a.tenantId.localeCompare(b.tenantId));
        assert.deepEqual(byTenant, [
          { table: 'communication_logs', tenantId: 'tnt_a', rows: ['c1', 'c3'] },
          { table: 'communication_logs', tenantId: 'tnt_b', rows: ['c2'] },
        ]);

        const c4 = communicationLog({ id: 'c4' });
        assert.deepEqual(await store.communicationLogs.insertMany([c1, c4]), {
          ids: ['c1', 'c4'],
          duplicates: ['c1'],
        });
        // Resent: all duplicates, nothing to announce.
        assert.deepEqual((await store.communicationLogs.insertMany([c1, c4])).duplicates, ['c1', 'c4']);
        const m1 = mfaLog({ id: 'm1' });
        await store.mfaConfigAuditLogs.insertMany([m1]);
        const tenantB = ops('o', 2, 'tnt_b');
        await store.operateLogs.insertMany(tenantB);
        const c5 = communicationLog({ id: 'c5', status: 'sent', updated_at: c1.updated_at + 1 });
        const transition = {
          tenant_id: 'tnt_a',
          log_id: 'c5',
          from_status: 'pending',
          to_status: 'sent',
          error: null,
          response: null,
          sent_at: c5.updated_at,
          changed_at: c5.updated_at,
        } as const;
        assert.deepEqual(
          await store.communicationLogs.importMany([
            { log: c5, transitions: [transition] },
            { log: c1, transitions: [] },
          ]),
          { ids: ['c5', 'c1'], duplicates: ['c1'] },
        );
        // A last write: whatever the writes before it announced has been heard once it is.
        const last = operateLog({ id: 'last' });
        await store.operateLogs.insertMany([last]);
        await waitFor('the last write', () => recorder.hasHeard('last'), GUARD);
        assert.deepEqual(recorder.heard.slice(2), [
          { table: 'communication_logs', tenantId: 'tnt_a', rows: ['c4'] },
          { table: 'mfa_config_audit_logs', tenantId: 'tnt_a', rows: ['m1'] },
          { table: 'operate_logs', tenantId: 'tnt_b', rows: tenantB.map((row) => row.id) },
          { table: 'communication_logs', tenantId: 'tnt_a', rows: ['c5'] },
          { table: 'operate_logs', tenantId: 'tnt_a', rows: ['last'] },
        ]);
        assert.equal(recorder.catchUps, 1);
      }));

    test('a subscriber narrowed to some tables, asking for counts, hears only those, without rows', () =>
      withStore(open, async (store) => {
        const recorder = new Recorder();
        const counts: number[] = [];
        const counting: CommitSubscriber = {
          name: 'counting',
          appended: async (batch) => {
            counts.push(batch.count);
            await recorder.appended(batch);
          },
          catchUp: () => recorder.catchUp(),
        };
        store.afterCommit.subscribe(counting, {
          capacityRows: 1000,
          overflow: 'wait',
          tables: ['operate_logs'],
          rows: false,
        });
        await store.communicationLogs.insertMany([communicationLog({ id: 'n1' })]);
        await store.operateLogs.insertMany(ops('n', 3));
        await waitFor('the operate logs heard', () => counts.length === 1, GUARD);
        assert.deepEqual(recorder.heard, [{ table: 'operate_logs', tenantId: 'tnt_a', rows: [] }]);
        assert.deepEqual(counts, [3]);
      }));

    test('a failing subscriber never fails a write; it catches up again, then hears later commits', () =>
      withStore(open, async (store) => {
        // Capacity 1: the write of two rows waits for the subscriber, which fails meanwhile.
        const recorder = await subscribed(store, { capacityRows: 1, overflow: 'wait' });
        recorder.failures = 1;
        const outcome = await store.operateLogs.insertMany(ops('f', 2));
        assert.deepEqual(outcome, { ids: ['f0', 'f1'], duplicates: [] });
        await waitFor('the catch-up after the failure', () => recorder.catchUps === 2, GUARD);
        assert.deepEqual(recorder.heard, []);
        await store.operateLogs.insertMany(ops('g', 1));
        await waitFor('the write after the catch-up', () => recorder.hasHeard('g0'), GUARD);
        assert.deepEqual(recorder.ids('operate_logs'), ['g0']);
        assert.deepEqual(recorder.calls, ['catch-up', 'f0,f1', 'catch-up', 'g0']);
      }));

    test("with 'catch-up', writes do not wait for a blocked subscriber, which then catches up", () =>
      withStore(open, async (store) => {
        const recorder = await overflowWhileBlocked(store);
        assert.equal(recorder.catchUps, 2);
        assert.deepEqual(recorder.ids('operate_logs').slice(0, 3), ['x0', 'x1', 'x2']);
        assert.ok(!recorder.hasHeard('y0'), 'the dropped notification is replaced by the catch-up');
      }));

    test('after a drop, the catch-up comes before the notifications of later commits', () =>
      withStore(open, async (store) => {
        const { calls } = await overflowWhileBlocked(store);
        const laterAt = calls.findIndex((call) => call.startsWith('z0'));
        assert.ok(laterAt === -1 || calls.indexOf('catch-up', 1) < laterAt, calls.join(' | '));
      }));
  });
}

describeSeam('SQLite file', openSqlite);

test('after-commit seam: SQLite file: concurrent writes are heard in commit (seq) order', async () => {
  const { store, path, dispose } = await openSqlite();
  try {
    const recorder = await subscribed(store, { capacityRows: 10_000, overflow: 'wait' });
    const callers = Array.from({ length: 20 }, (_, caller) => ops(`p${caller}_`, 1 + (caller % 4)));
    const expected = callers.reduce((rows, batch) => rows + batch.length, 0);
    await Promise.all(callers.map((rows) => store.operateLogs.insertMany(rows)));
    await waitFor('every row', () => recorder.ids('operate_logs').length >= expected, GUARD);
    const reader = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const committed = reader.prepare('SELECT id FROM operate_logs ORDER BY seq').pluck().all();
      assert.equal(committed.length, expected);
      assert.deepEqual(recorder.ids('operate_logs'), committed);
    } finally {
      reader.close();
    }
  } finally {
    await dispose();
  }
});

if (TEST_DATABASE_URL === undefined) {
  test('after-commit seam: PostgreSQL', { skip: 'TEST_DATABASE_URL is not set' }, () => undefined);
} else {
  describeSeam('PostgreSQL', openPostgres);
}
