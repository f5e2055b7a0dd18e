import type { CountedPage, InsertOutcome, OffsetWindow } from '../../domain/audit-store.js';
import {
  communicationLogConditions,
  communicationLogTotal,
  type CommunicationLogFilter,
  type CommunicationLogRepository,
  type CommunicationLogWithHistory,
} from '../../kinds/communication-log/communication-log-repository.js';
import {
  TRANSITION_COLUMNS,
  type CommunicationLog,
  type StatusTransition,
} from '../../kinds/communication-log/communication-log-table.js';
import type { PgLogRows } from './pg-log-rows.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import type { StoredKey } from './table-access.js';
import { outcome } from './table-access.js';

/** Finds a log's row: its time from the key table, so only its own partition is searched. */
const THIS_LOG = `tenant_id = $1 AND id = $2 AND created_at =
  (SELECT created_at FROM communication_log_keys WHERE tenant_id = $1 AND id = $2)`;

export class PgCommunicationLogRepository implements CommunicationLogRepository {
  constructor(
    private readonly db: PgExecutor,
    private readonly rows: PgLogRows<CommunicationLog>,
  ) {}

  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>> {
    return this.rows.list(communicationLogConditions(filter), communicationLogTotal(filter), window);
  }

  async find(tenantId: string, id: string): Promise<CommunicationLog | undefined> {
    const [row] = await this.db.query<CommunicationLog>(
      `SELECT ${this.rows.access.columnList} FROM communication_logs WHERE ${THIS_LOG}`,
      [tenantId, id],
    );
    return row;
  }

  /** One statement: the compare-and-set update and, only when it moved the log, the history row. */
  async applyTransition(transition: StatusTransition): Promise<boolean> {
    const rows = await this.db.query(
      `WITH moved AS (
         UPDATE communication_logs
            SET status = $4,
                error = coalesce($5, error),
                response = coalesce($6, response),
                sent_at = coalesce($7::bigint, sent_at),
                updated_at = $8
          WHERE ${THIS_LOG} AND status = $3
         RETURNING 1)
       INSERT INTO communication_log_transitions
         (tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at)
       SELECT $1, $2, $3, $4, $5, $6, $7::bigint, $8 FROM moved
       RETURNING 1`,
      [
        transition.tenant_id,
        transition.log_id,
        transition.from_status,
        transition.to_status,
        transition.error,
        transition.response,
        transition.sent_at,
        transition.changed_at,
      ],
    );
    return rows.length === 1;
  }

  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]> {
    return this.db.query<StatusTransition>(
      `SELECT tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at
         FROM communication_log_transitions WHERE tenant_id = $1 AND log_id = $2 ORDER BY seq`,
      [tenantId, logId],
    );
  }

  /** Logs and their histories in one statement; the history of a log stored already is skipped. */
  async importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome> {
    const logs = entries.map((entry) => entry.log);
    if (logs.length === 0) return { ids: [], duplicates: [] };
    const table = this.rows.access;
    await table.preparePartitions(logs);
    const transitions = entries.flatMap((entry) => entry.transitions);
    const sql = new SqlBuilder();
    const input = table.inputCte(logs, sql);
    const arrays = TRANSITION_COLUMNS.map(
      ([column, type]) => `${sql.bind(transitions.map((row) => row[column]))}::${type}[]`,
    );
    const columns = TRANSITION_COLUMNS.map(([column]) => column).join(', ');
    const stored = await this.db.query<StoredKey>(
      `WITH ${input}, ${table.claimCte()}, ${table.storeCte()},
       history AS (
         INSERT INTO communication_log_transitions (${columns})
         SELECT ${TRANSITION_COLUMNS.map(([column]) => `h.${column}`).join(', ')}
           FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS h(${columns}, position)
           JOIN claimed ON claimed.tenant_id = h.tenant_id AND claimed.id = h.log_id
          ORDER BY h.position)
       SELECT tenant_id, id FROM stored`,
      sql.params,
    );
    return this.rows.published(logs, outcome(logs, stored));
  }
}
