import type Database from 'better-sqlite3';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { LeafAssignment } from '../tables/leaf-assignment.js';
import type { DataMigrationProgress } from '../../../domain/audit-store.js';

/** Records numbered per transaction. */
const BATCH_ROWS = 5000;

interface Position {
  tenant_id: string;
  time: number;
  id: string;
}

/**
 * Numbers the leaves of rows stored before the integrity log existed: per kind, in (tenant, time,
 * id) order, each communication log followed by its history; a batch per transaction with its
 * position, so that it resumes where it stopped. Runs on `db` before the store serves (no other
 * write can come between), after the rows are sealed. Returns the records numbered; `progress`
 * hears how it goes.
 */
export function backfillLeaves(db: Database.Database, progress?: DataMigrationProgress): number {
  const leaves = new LeafAssignment(db);
  const remaining = LOG_TABLES.filter(
    (table) => db.prepare('SELECT done FROM integrity_backfill WHERE kind = ?').pluck().get(table.kind) === 0,
  );
  const pending = remaining.reduce(
    (sum, table) => sum + (db.prepare(`SELECT count(*) FROM ${table.table}`).pluck().get() as number),
    0,
  );
  if (pending > 0) progress?.begin('numbering leaves', pending);
  let total = 0;
  for (const table of LOG_TABLES) {
    const state = db
      .prepare(
        'SELECT after_tenant AS tenant_id, after_time AS time, after_id AS id, done FROM integrity_backfill WHERE kind = ?',
      )
      .get(table.kind) as
      { tenant_id: string | null; time: number | null; id: string | null; done: number } | undefined;
    if (state === undefined || state.done === 1) continue;
    const time = `"${table.timeColumn}"`;
    const next = db.prepare(
      `SELECT tenant_id, ${time} AS time, id FROM ${table.table}
        WHERE (tenant_id, ${time}, id) > (?, ?, ?) ORDER BY tenant_id, ${time}, id LIMIT ${BATCH_ROWS}`,
    );
    const history =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? db
            .prepare('SELECT count(*) FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ?')
            .pluck()
        : undefined;
    const advance = db.prepare(
      'UPDATE integrity_backfill SET after_tenant = ?, after_time = ?, after_id = ?, done = ? WHERE kind = ?',
    );
    let position: Position =
      state.tenant_id === null
        ? { tenant_id: '', time: -Infinity, id: '' }
        : { tenant_id: state.tenant_id, time: state.time ?? 0, id: state.id ?? '' };
    for (;;) {
      const rows = next.all(position.tenant_id, position.time, position.id) as Position[];
      const last = rows[rows.length - 1];
      db.transaction(() => {
        // One write per record keeps the (time, id) order: recordsByLog would sort a batch by id.
        for (const row of rows) {
          leaves.records(
            table.kind,
            [row],
            history && { transitionsOf: (record) => history.get(record.tenant_id, record.id) as number },
          );
        }
        if (last === undefined) advance.run(null, null, null, 1, table.kind);
        else advance.run(last.tenant_id, last.time, last.id, 0, table.kind);
      })();
      if (last === undefined) break;
      position = last;
      total += rows.length;
      progress?.advance(rows.length);
    }
  }
  if (pending > 0) progress?.end();
  return total;
}
