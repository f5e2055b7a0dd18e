import type Database from 'better-sqlite3';
import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import {
  HISTORY_COLUMNS,
  historiesByLog,
  windowLeafBytes,
  type LeafLocation,
  type LeafWindow,
} from '../../../integrity/leaves/leaf-builder.js';
import type { LeafRange } from '../../../integrity/integrity-log.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import type { LeafReader } from '../../../integrity/sequencing/tree-builder.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { SEALED_COLUMN } from '../../../kinds/log-table.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';

/**
 * Reads leaf bytes from the embedded store: the numbered leaves of a window, their records (one
 * query by id) and, for communication logs, their histories (one query), on one connection.
 */
export class SqliteLeafReader implements LeafReader {
  private readonly statements: StatementCache;
  private readonly snapshot: <T>(work: () => T) => T;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
    const transaction = db.transaction((work: () => unknown) => work());
    this.snapshot = <T>(work: () => T) => transaction(work) as T;
  }

  async leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    return windowLeafBytes(log.kind, start, end, await this.leafWindow(log, start, end));
  }

  leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow> {
    // One read transaction: leaves, rows and histories from the same snapshot.
    return asPromise(() => this.snapshot(() => this.read(log, start, end)));
  }

  leafWindows(ranges: readonly LeafRange[]): Promise<LeafWindow[]> {
    return asPromise(() =>
      this.snapshot(() => ranges.map(({ log, start, end }) => this.read(log, start, end))),
    );
  }

  private read(log: LogId, start: number, end: number): LeafWindow {
    const table = logTableOfKind(log.kind);
    // One walk of the leaves' key range, each leaf joined to its record through the primary key.
    const columns = [...table.columns.map(([column]) => column), SEALED_COLUMN];
    const joined = this.statements
      .prepare(
        `SELECT l.leaf_index, l.record_id, l.transition, ${columns.map((column) => `r."${column}"`).join(', ')}
           FROM integrity_leaves l
           LEFT JOIN ${table.table} r ON r.tenant_id = l.tenant_id AND r.id = l.record_id
          WHERE l.tenant_id = ? AND l.kind = ? AND l.leaf_index >= ? AND l.leaf_index < ?
          ORDER BY l.leaf_index`,
      )
      .raw()
      .all(log.tenantId, log.kind, start, end) as unknown[][];
    const locations: LeafLocation[] = [];
    const records = new Map<string, Record<string, unknown>>();
    for (const row of joined) {
      const recordId = row[1] as string;
      locations.push({ leafIndex: row[0] as number, recordId, transition: row[2] as number });
      if (row[4] === null || records.has(recordId)) continue; // no such record (id is NOT NULL)
      const record: Record<string, unknown> = {};
      columns.forEach((column, position) => {
        record[column] = row[3 + position];
      });
      records.set(recordId, record);
    }
    const ids = JSON.stringify([...records.keys()]);
    let histories = new Map<string, StoredTransition[]>();
    if (table.table === COMMUNICATION_LOG_TABLE.table) {
      const transitions = this.statements
        .prepare(
          `SELECT ${HISTORY_COLUMNS.join(', ')} FROM communication_log_transitions
            WHERE tenant_id = ? AND log_id IN (SELECT value FROM json_each(?)) ORDER BY log_id, seq`,
        )
        .all(log.tenantId, ids) as StoredTransition[];
      histories = historiesByLog(transitions);
    }
    return { locations, rows: { records, histories } };
  }
}
