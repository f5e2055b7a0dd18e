import type Database from 'better-sqlite3';
import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import {
  HISTORY_COLUMNS,
  historiesByLog,
  leafBytesOf,
  type LeafLocation,
} from '../../../integrity/leaves/leaf-builder.js';
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
  private readonly snapshot: (work: () => Buffer[]) => Buffer[];

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
    this.snapshot = db.transaction((work: () => Buffer[]) => work());
  }

  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    // One read transaction: leaves, rows and histories from the same snapshot.
    return asPromise(() => this.snapshot(() => this.read(log, start, end)));
  }

  private read(log: LogId, start: number, end: number): Buffer[] {
    const table = logTableOfKind(log.kind);
    const locations = this.statements
      .prepare(
        `SELECT leaf_index AS leafIndex, record_id AS recordId, transition FROM integrity_leaves
          WHERE tenant_id = ? AND kind = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index`,
      )
      .all(log.tenantId, log.kind, start, end) as LeafLocation[];
    if (locations.length !== end - start) {
      throw new Error(
        `${log.kind} log of ${JSON.stringify(log.tenantId)}: leaves ${start}…${end - 1} are not all numbered`,
      );
    }
    const ids = JSON.stringify([...new Set(locations.map((location) => location.recordId))]);
    const columns = [...table.columns.map(([column]) => column), SEALED_COLUMN].map(
      (column) => `"${column}"`,
    );
    const records = this.statements
      .prepare(
        `SELECT ${columns.join(', ')} FROM ${table.table}
          WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))`,
      )
      .all(log.tenantId, ids) as { id: string }[];
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
    return leafBytesOf(log.kind, locations, {
      records: new Map(records.map((record) => [record.id, record])),
      histories,
    });
  }
}
