/** Raw reads of an embedded store for the log-rebuild checks, in the tests' own SQL. */
import Database from 'better-sqlite3';
import { withoutColumns, type RawStore } from './log-rebuild.js';

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
