/** The embedded store's logs: see sequencing-scenario.ts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { rawSqlite } from './raw-sqlite.js';
import { runSequencingScenario } from './sequencing-scenario.js';

test('SQLite: every record and transition is a leaf in commit order; each root is the RFC 6962 root of its rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-sequencing-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    const raw = rawSqlite(path);
    try {
      await runSequencingScenario(store, raw);
    } finally {
      raw.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
