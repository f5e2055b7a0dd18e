import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { OperateLog } from '../../src/kinds/operate-log/operate-log-table.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { searchFilePath } from '../../src/storage/sqlite/search/search-index-file.js';
import type { SearchIndexer } from '../../src/storage/sqlite/search/search-indexer.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { operateLog } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sealog-search-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
const newPath = () => join(dir, `store-${++files}.db`);

/** 300 logs, one in 50 about a "zephyr" (a rare term), the others about devices. */
const LOGS = Array.from({ length: 300 }, (_, i) =>
  operateLog({
    id: `op_${String(i).padStart(3, '0')}`,
    record_time: 1_700_000_000_000 + i,
    operate_content: i % 50 === 7 ? `zephyr lock ${i}` : `device ${i} switched on`,
  }),
);

function idsMatching(logs: readonly OperateLog[], term: string): string[] {
  return logs
    .filter((log) => log.operate_content.includes(term))
    .sort((a, b) => b.record_time - a.record_time)
    .map((log) => log.id);
}

async function search(store: SqliteStore, term: string): Promise<string[]> {
  const rows = await store.operateLogs.page({ tenantId: 'tnt_a', keyWords: term }, undefined, 1000);
  return rows.map((row) => row.id);
}

async function openStore(path: string, tuning?: { stepRows: number; maxLagRows: number }) {
  const store = new SqliteStore(path, { searchTuning: tuning });
  await store.migrate();
  return store;
}

/** A closed store file holding `logs`, all of them indexed; returns its path. */
async function closedStoreWith(logs: readonly OperateLog[]): Promise<string> {
  const path = newPath();
  const store = await openStore(path);
  await store.operateLogs.insertMany(logs);
  await indexerOf(store).whenCaughtUp();
  await store.close();
  return path;
}

/** The indexer of a migrated file store (always present). */
function indexerOf(store: SqliteStore): SearchIndexer {
  const indexer = store.searchIndexer;
  assert.ok(indexer, 'a migrated file store has a search indexer');
  return indexer;
}

test('the trigram index fills in its own file; a rare term is served from it', async () => {
  const path = newPath();
  const store = await openStore(path);
  try {
    await store.operateLogs.insertMany(LOGS);
    await indexerOf(store).whenCaughtUp();
    assert.equal(indexerOf(store).pendingRows(), 0);
    assert.ok(existsSync(searchFilePath(path)));
    assert.equal(await store.operateLogs.keywordPlan('tnt_a', 'zephyr'), 'trigram-index');
    assert.deepEqual(await search(store, 'zephyr'), idsMatching(LOGS, 'zephyr'));
  } finally {
    await store.close();
  }
});

test('ingest waits for the indexer once the lag passes its bound', async () => {
  // One row per step: unbounded, the worker would trail a 300-row batch by hundreds of rows.
  const store = await openStore(newPath(), { stepRows: 1, maxLagRows: 20 });
  try {
    for (let from = 0; from < LOGS.length; from += 100) {
      await store.operateLogs.insertMany(LOGS.slice(from, from + 100));
      assert.ok(indexerOf(store).pendingRows() <= 20);
    }
  } finally {
    await store.close();
  }
});

/** Opens the store of LOGS at `path`, expects its search file rebuilt, and searches it once built. */
async function expectRebuilt(path: string): Promise<void> {
  const store = await openStore(path);
  try {
    assert.equal(indexerOf(store).opened, 'rebuilding');
    await indexerOf(store).whenCaughtUp();
    assert.equal(indexerOf(store).pendingRows(), 0);
    assert.equal(await store.operateLogs.keywordPlan('tnt_a', 'zephyr'), 'trigram-index');
    assert.deepEqual(await search(store, 'zephyr'), idsMatching(LOGS, 'zephyr'));
  } finally {
    await store.close();
  }
}

test('a deleted search file is rebuilt', async () => {
  const path = await closedStoreWith(LOGS);
  for (const suffix of ['', '-wal', '-shm']) rmSync(searchFilePath(path) + suffix, { force: true });
  await expectRebuilt(path);
});

test('a search file SQLite cannot read is replaced by a new one', async () => {
  const path = await closedStoreWith(LOGS);
  writeFileSync(searchFilePath(path), 'not a database, whatever the extension says'.repeat(200));
  await expectRebuilt(path);
});

test("another store's search file is never used", async () => {
  // The other store holds rows under the seqs of the store under test, with other content.
  const other = await closedStoreWith(LOGS.map((log) => ({ ...log, operate_content: 'zephyr' })));
  const path = await closedStoreWith(LOGS);
  // A closed store leaves no WAL beside its search file: the copy is the whole index.
  for (const file of [other, path]) assert.ok(!existsSync(`${searchFilePath(file)}-wal`));
  copyFileSync(searchFilePath(other), searchFilePath(path));
  await expectRebuilt(path);
});

test('a store that lost its newest rows drops their index entries before reusing their seqs', async () => {
  const path = await closedStoreWith(LOGS);
  // As a restore from an older copy would: the newest 100 rows are gone, the search file is not.
  const db = new Database(path);
  db.prepare('DELETE FROM operate_logs WHERE seq > 200').run();
  db.close();

  const store = await openStore(path);
  try {
    assert.equal(indexerOf(store).opened, 'trimmed');
    // New rows take seqs 201 to 300, which the search file had indexed with other content.
    const fresh = LOGS.slice(200).map((log) => ({
      ...log,
      id: `new_${log.id}`,
      operate_content: log.operate_content.includes('zephyr') ? 'plain' : 'zephyr again',
    }));
    await store.operateLogs.insertMany(fresh);
    await indexerOf(store).whenCaughtUp();
    const expected = idsMatching([...LOGS.slice(0, 200), ...fresh], 'zephyr');
    assert.equal(await store.operateLogs.keywordPlan('tnt_a', 'zephyr'), 'trigram-index');
    assert.deepEqual(await search(store, 'zephyr'), expected);
  } finally {
    await store.close();
  }
});

test('a store from before migration 4 moves its index to the search file', async () => {
  const path = newPath();
  const db = new Database(path);
  applyMigrations(db, 3);
  const insert = db.prepare(
    `INSERT INTO operate_logs (${Object.keys(LOGS[0] ?? {}).join(', ')})
     VALUES (${Object.keys(LOGS[0] ?? {})
       .map((column) => `@${column}`)
       .join(', ')})`,
  );
  for (const log of LOGS) insert.run(log);
  db.close();

  const store = await openStore(path);
  try {
    assert.equal(indexerOf(store).opened, 'rebuilding');
    await indexerOf(store).whenCaughtUp();
    assert.equal(await store.operateLogs.keywordPlan('tnt_a', 'zephyr'), 'trigram-index');
    assert.deepEqual(await search(store, 'zephyr'), idsMatching(LOGS, 'zephyr'));
  } finally {
    await store.close();
  }
});

test('an in-memory store has no search file and finds rows by scanning', async () => {
  const store = await openStore(':memory:');
  try {
    await store.operateLogs.insertMany(LOGS);
    assert.equal(store.searchIndexer, undefined);
    assert.equal(await store.operateLogs.keywordPlan('tnt_a', 'zephyr'), 'scan-time-index');
    assert.deepEqual(await search(store, 'zephyr'), idsMatching(LOGS, 'zephyr'));
  } finally {
    await store.close();
  }
});
