import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeConsoleSessionsContract } from './console-sessions-contract.js';
import { describeRetentionOverridesContract } from './retention-overrides-contract.js';
import { describeHistogramContract } from './histogram-contract.js';
import { describeListTotalsContract, type ListTotalsFixture } from './list-totals-contract.js';
import { describeStoreContract, operateLog } from './store-contract.js';

/** The schema version before the list tallies (migration 3). */
const BEFORE_TALLIES = 2;
/** The schema version before the volume tables (migration 12). */
const BEFORE_VOLUME = 11;

async function openSqliteFixture(
  options: { beforeTallies?: boolean; beforeVolume?: boolean } = {},
): Promise<ListTotalsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-store-'));
  const path = join(dir, 'store.db');
  const before =
    options.beforeTallies === true ? BEFORE_TALLIES : options.beforeVolume === true ? BEFORE_VOLUME : 0;
  if (before > 0) {
    const db = new Database(path);
    applyMigrations(db, before);
    db.close();
  }
  const store = new SqliteStore(path);
  if (before === 0) await store.migrate();
  return {
    store,
    async settle() {
      await store.searchIndexer?.whenCaughtUp();
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
describeRetentionOverridesContract('SQLite file', openSqliteFixture);
describeConsoleSessionsContract('SQLite file', openSqliteFixture);
describeListTotalsContract('SQLite file', openSqliteFixture);
describeHistogramContract('SQLite file', openSqliteFixture);

test('committed batches reach the database file itself, checkpointed by the worker thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-wal-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    await store.operateLogs.insertMany(Array.from({ length: 50 }, (_, i) => operateLog({ id: `c${i}` })));
    // A copy of the database file without its WAL holds only what a checkpoint moved there; the
    // store's writing connection never checkpoints (wal_autocheckpoint = 0).
    const copy = join(dir, 'copy.db');
    await waitFor('a checkpoint to move the 50 rows into the database file', () => {
      copyFileSync(path, copy);
      const db = new Database(copy);
      try {
        return db.prepare('SELECT count(*) FROM operate_logs').pluck().get() === 50;
      } catch {
        return false; // copied before the first checkpoint, or in the middle of one
      } finally {
        db.close();
      }
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
