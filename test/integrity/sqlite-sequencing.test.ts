/** The embedded store's logs: see sequencing-scenario.ts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { withoutColumns, type RawStore } from './log-rebuild.js';
import { runSequencingScenario } from './sequencing-scenario.js';

/** Raw reads on a read-only connection of its own. */
export function rawSqlite(path: string): RawStore & { close(): void } {
  const db = new Database(path, { readonly: true });
  return {
    leaves: (tenant, kind) =>
      Promise.resolve(
        db
          .prepare(
            'SELECT record_id, transition FROM integrity_leaves WHERE tenant_id = ? AND kind = ? ORDER BY leaf_index',
          )
          .all(tenant, kind) as { record_id: string; transition: number }[],
      ),
    record: (table, tenant, id) =>
      Promise.resolve(
        db.prepare(`SELECT * FROM ${table} WHERE tenant_id = ? AND id = ?`).get(tenant, id) as Record<
          string,
          unknown
        >,
      ),
    history: (tenant, logId) =>
      Promise.resolve(
        (
          db
            .prepare(
              'SELECT * FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ? ORDER BY seq',
            )
            .all(tenant, logId) as Record<string, unknown>[]
        ).map((row) => withoutColumns(row, 'seq')),
      ),
    close: () => db.close(),
  };
}

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
