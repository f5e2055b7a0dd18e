import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { DomainError, UnavailableError } from '../../src/domain/errors.js';
import { OPERATE_LOG_TABLE } from '../../src/kinds/operate-log/operate-log-table.js';
import { WriterThread } from '../../src/storage/sqlite/engine/writer-thread.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { communicationLog, operateLog } from './store-contract.js';

// The store's writes run on a thread of their own (writer-thread.ts); these tests check what
// crossing to it must not change: durability on acknowledgement, errors, shutdown, a dead thread.

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealog-writer-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function openStore(name: string): Promise<{ store: SqliteStore; path: string }> {
  const path = join(dir, `${name}.db`);
  const store = new SqliteStore(path);
  await store.migrate();
  return { store, path };
}

/** Counts rows through a connection of the test's own, as another process would see them. */
function countRows(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

/** The writer thread's worker, reached past the store's privacy to kill it as an I/O failure would. */
function writerWorker(store: SqliteStore): Worker {
  // The store's writer publishes what the writer thread commits: the thread is behind it.
  return (store as unknown as { writer: { writer: { worker: Worker } } }).writer.writer.worker;
}

test('an acknowledged batch is in the file for every other connection', async () => {
  const { store, path } = await openStore('acknowledged');
  try {
    await store.operateLogs.insertMany(Array.from({ length: 300 }, (_, i) => operateLog({ id: `a${i}` })));
    assert.equal(countRows(path, 'operate_logs'), 300);
    // The store's own reads run on another connection than its writes, and see them at once.
    assert.equal((await store.operateLogs.page({ tenantId: 'tnt_a' }, undefined, 500)).length, 300);
  } finally {
    await store.close();
  }
});

test("a failed write rejects with the driver's error name and code; its group's other writes commit", async () => {
  const { store, path } = await openStore('failed');
  try {
    // Sent in the same turn, so the thread commits them in one group.
    const broken = store.communicationLogs.insertMany([
      communicationLog({ id: 'bad', provider: null as unknown as string }),
    ]);
    const fine = store.communicationLogs.insertMany([communicationLog({ id: 'good' })]);
    await assert.rejects(broken, (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'SqliteError');
      assert.equal((error as { code?: unknown }).code, 'SQLITE_CONSTRAINT_NOTNULL');
      assert.match(error.message, /provider/);
      return true;
    });
    assert.deepEqual((await fine).duplicates, []);
    assert.equal(countRows(path, 'communication_logs'), 1);
  } finally {
    await store.close();
  }
});

test('close() lets the writes already sent commit and answer, then refuses new ones', async () => {
  const { store, path } = await openStore('closing');
  const writes = Array.from({ length: 5 }, (_, batch) =>
    store.communicationLogs.insertMany(
      Array.from({ length: 200 }, (_, i) => communicationLog({ id: `c${batch}_${i}` })),
    ),
  );
  const closed = store.close();
  const outcomes = await Promise.all(writes);
  await closed;
  assert.deepEqual(
    outcomes.map((outcome) => [outcome.ids.length, outcome.duplicates.length]),
    Array.from({ length: 5 }, () => [200, 0]),
  );
  assert.equal(countRows(path, 'communication_logs'), 1000);
  await assert.rejects(store.communicationLogs.insertMany([communicationLog({ id: 'late' })]), /closed/);
  await store.close(); // a second close (a shutdown hook and a signal handler both) is harmless
});

test('a write in flight when the writer thread dies is refused as unavailable; the next write starts a new thread', async () => {
  const { store, path } = await openStore('dying');
  // Another process holds the write lock, so the write waits inside the thread when it dies.
  const holder = new Database(path);
  try {
    holder.prepare('BEGIN IMMEDIATE').run();
    const worker = writerWorker(store);
    const inFlight = store.communicationLogs.insertMany([communicationLog({ id: 'in_flight' })]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const terminated = worker.terminate();
    holder.prepare('ROLLBACK').run();
    await terminated;
    await assert.rejects(inFlight, (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /writer thread stopped.*retry later/);
      return true;
    });
    const next = await store.communicationLogs.insertMany([communicationLog({ id: 'after' })]);
    assert.deepEqual(next.duplicates, []);
    assert.notEqual(writerWorker(store), worker);
    const ids = (await store.communicationLogs.list({}, { limit: 10, offset: 0 })).rows.map((row) => row.id);
    assert.ok(ids.includes('after'));
  } finally {
    holder.close();
    await store.close();
  }
});

test('a writer thread that fails is reported to the listener (the app logs it), and its write is refused as unavailable', async () => {
  // A directory where the file should be: the thread cannot open it and dies.
  const path = join(dir, 'not-a-file');
  mkdirSync(path);
  const failures: { component: string; message: string }[] = [];
  const writer = new WriterThread(path, (component, error) => {
    failures.push({ component, message: error.message });
  });
  try {
    await assert.rejects(
      writer.run({ type: 'remember-nonce', clientId: 'c', nonce: 'n', expiresAt: 1, nowMs: 0 }),
      (error: unknown) => error instanceof DomainError && error.kind === 'unavailable',
    );
    assert.deepEqual(
      failures.map(({ component }) => component),
      ['sqlite-writer'],
    );
    assert.match(failures.map(({ message }) => message).join(), /SQLITE_CANTOPEN/);
  } finally {
    await writer.close();
  }
});

test('a write kept from the lock by another process (sealog purge) is unavailable (503), not a failure, and writes nothing', async () => {
  const { store, path } = await openStore('busy');
  const other = new Database(path);
  try {
    other.exec('BEGIN IMMEDIATE');
    await assert.rejects(
      store.rows(OPERATE_LOG_TABLE).insertMany([operateLog({ id: 'op_busy' })]),
      (error: unknown) => error instanceof UnavailableError,
    );
    other.exec('ROLLBACK');
    assert.equal(countRows(path, 'operate_logs'), 0);
    const retried = await store.rows(OPERATE_LOG_TABLE).insertMany([operateLog({ id: 'op_busy' })]);
    assert.deepEqual(retried.duplicates, []);
    assert.equal(countRows(path, 'operate_logs'), 1);
  } finally {
    other.close();
    await store.close();
  }
});
