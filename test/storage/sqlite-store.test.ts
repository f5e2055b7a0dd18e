import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { describeListTotalsContract, type ListTotalsFixture } from './list-totals-contract.js';
import { describeStoreContract } from './store-contract.js';

/** The schema version before the list tallies (migration 3). */
const BEFORE_TALLIES = 2;

async function openSqliteFixture(options: { beforeTallies?: boolean } = {}): Promise<ListTotalsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-store-'));
  const path = join(dir, 'store.db');
  if (options.beforeTallies === true) {
    const db = new Database(path);
    applyMigrations(db, BEFORE_TALLIES);
    db.close();
  }
  const store = new SqliteStore(path);
  if (options.beforeTallies !== true) await store.migrate();
  return {
    store,
    settle() {
      while (store.searchIndexer.indexNextBatch() > 0);
      return Promise.resolve();
    },
    execute(sql) {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SQLite file', openSqliteFixture);
describeListTotalsContract('SQLite file', openSqliteFixture);
