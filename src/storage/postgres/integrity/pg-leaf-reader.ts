import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import {
  HISTORY_COLUMNS,
  historiesByLog,
  windowLeafBytes,
  type LeafLocation,
  type LeafWindow,
} from '../../../integrity/leaves/leaf-builder.js';
import { HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import type { LeafReader } from '../../../integrity/sequencing/tree-builder.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { SEALED_COLUMN } from '../../../kinds/log-table.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import type { PgExecutor } from '../pg-executor.js';

/**
 * Reads leaf bytes from PostgreSQL: the numbered leaves of a window, their records (found through
 * the claim table, which knows each record's partition) and, for communication logs, their
 * histories. Each read sees committed rows: leaves are numbered only for finished writes.
 */
export class PgLeafReader implements LeafReader {
  constructor(private readonly db: PgExecutor) {}

  async leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    return windowLeafBytes(log.kind, start, end, await this.leafWindow(log, start, end));
  }

  /**
   * The leaf hashes stored with the records' claims (pg-log-rows.ts), in one index walk; undefined
   * when a leaf of the range has none (a transition, a record stored before the hashes were, a
   * copy): the TreeBuilder then reads the rows.
   */
  async leafHashes(log: LogId, start: number, end: number): Promise<Buffer[] | undefined> {
    const table = logTableOfKind(log.kind);
    const rows = await this.db.query<{ leaf_hash: Buffer | null }>(
      `SELECT k.leaf_hash FROM integrity_leaves l
         LEFT JOIN ${table.keysTable} k ON l.transition = 0 AND k.tenant_id = l.tenant_id AND k.id = l.record_id
        WHERE l.tenant_id = $1 AND l.kind = $2 AND l.leaf_index >= $3 AND l.leaf_index < $4
        ORDER BY l.leaf_index`,
      [log.tenantId, log.kind, start, end],
    );
    if (rows.length !== end - start) return undefined;
    const hashes: Buffer[] = [];
    for (const { leaf_hash: hash } of rows) {
      if (hash?.length !== HASH_BYTES) return undefined;
      hashes.push(hash);
    }
    return hashes;
  }

  async leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow> {
    const table = logTableOfKind(log.kind);
    const locations = await this.db.query<LeafLocation>(
      `SELECT leaf_index AS "leafIndex", record_id AS "recordId", transition FROM integrity_leaves
        WHERE tenant_id = $1 AND kind = $2 AND leaf_index >= $3 AND leaf_index < $4 ORDER BY leaf_index`,
      [log.tenantId, log.kind, start, end],
    );
    const ids = [...new Set(locations.map((location) => location.recordId))];
    const time = `"${table.timeColumn}"`;
    const columns = [...table.columns.map(([column]) => column), SEALED_COLUMN].map(
      (column) => `r."${column}"`,
    );
    const records = await this.db.query<{ id: string }>(
      `SELECT ${columns.join(', ')} FROM ${table.keysTable} k
         JOIN ${table.table} r ON r.tenant_id = k.tenant_id AND r.${time} = k.${time} AND r.id = k.id
        WHERE k.tenant_id = $1 AND k.id = ANY($2::text[])`,
      [log.tenantId, ids],
    );
    let histories = new Map<string, StoredTransition[]>();
    if (table.table === COMMUNICATION_LOG_TABLE.table) {
      const transitions = await this.db.query<StoredTransition>(
        `SELECT ${HISTORY_COLUMNS.join(', ')} FROM communication_log_transitions
          WHERE tenant_id = $1 AND log_id = ANY($2::text[]) ORDER BY log_id, seq`,
        [log.tenantId, ids],
      );
      histories = historiesByLog(transitions);
    }
    return { locations, rows: { records: new Map(records.map((record) => [record.id, record])), histories } };
  }
}
