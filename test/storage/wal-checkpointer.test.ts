import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { waitFor } from '../helpers/wait-for.js';
import { WalCheckpointer } from '../../src/storage/sqlite/engine/wal-checkpointer.js';

test('under continuous writes the checkpointer keeps the WAL file bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-checkpointer-'));
  const path = join(dir, 'wal.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_size_limit = 0');
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  // A restart above 64 frames (a quarter of a MiB), a passive checkpoint every 10 ms.
  const checkpointer = new WalCheckpointer(db, path, { restartAboveFrames: 64, intervalMs: 10 });
  try {
    await checkpointer.running;
    const insert = db.prepare('INSERT INTO filler (body) VALUES (randomblob(100))');
    const batch = db.transaction(() => {
      for (let i = 0; i < 100; i++) insert.run();
    });
    // 2,000 transactions one after another, the event loop turning in between as a server's
    // does. Passive checkpoints alone never catch up with such a writer: the WAL then ends at
    // about 48 MB, all that was written; with restarts it stays at a few MB. How far the WAL
    // runs ahead of the worker depends on how the machine shares its cores between the two
    // threads, so a writer whose WAL passed 4 MB waits (writing nothing) until the worker has
    // had the writer restart it once more: a fair share, never a deadline. Without restarts
    // that wait never ends and the test fails.
    let largestWal = 0;
    let waitedAt = 0;
    for (let round = 0; round < 2000; round++) {
      batch();
      const wal = statSync(`${path}-wal`).size;
      largestWal = Math.max(largestWal, wal);
      if (wal > 4 * 1024 * 1024 && wal !== waitedAt) {
        waitedAt = wal;
        const before = checkpointer.restarts;
        await waitFor('the checkpointer to restart the WAL', () => checkpointer.restarts > before, {
          intervalMs: 1,
        });
      }
      await yieldToEvents();
    }
    assert.ok(checkpointer.restarts > 0, 'the WAL was never restarted');
    assert.ok(largestWal < 16 * 1024 * 1024, `the WAL reached ${largestWal} bytes`);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the worker still checkpoints');
    assert.equal(db.prepare('SELECT count(*) FROM filler').pluck().get(), 200_000);
  } finally {
    await checkpointer.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
