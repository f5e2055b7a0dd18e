import type {
  CommunicationLogFilter,
  CommunicationLogRepository,
  CommunicationLogWithHistory,
  CountedPage,
  InsertOutcome,
  OffsetWindow,
} from '../../domain/audit-store.js';
import type { CommunicationLog, StatusTransition } from '../../domain/records.js';
import { communicationLogConditions } from '../filter-conditions.js';
import { communicationLogTotal } from '../list-totals.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import { outcome, PgTableAccess, type StoredKey } from './table-access.js';

const TRANSITION_COLUMNS = [
  ['tenant_id', 'text'],
  ['log_id', 'text'],
  ['from_status', 'text'],
  ['to_status', 'text'],
  ['error', 'text'],
  ['response', 'text'],
  ['sent_at', 'bigint'],
  ['changed_at', 'bigint'],
] as const satisfies ReadonlyArray<readonly [keyof StatusTransition, 'text' | 'bigint']>;

/** Finds a log's row: its time from the key table, so only its own partition is searched. */
const THIS_LOG = `tenant_id = $1 AND id = $2 AND created_at =
  (SELECT created_at FROM communication_log_keys WHERE tenant_id = $1 AND id = $2)`;

export class PgCommunicationLogRepository implements CommunicationLogRepository {
  private readonly table: PgTableAccess<CommunicationLog>;

  constructor(
    private readonly db: PgExecutor,
    partitions: PartitionKeeper,
  ) {
    this.table = new PgTableAccess(db, partitions, {
      table: 'communication_logs',
      keysTable: 'communication_log_keys',
      timeColumn: 'created_at',
      columns: [
        ['tenant_id', 'text'],
        ['id', 'text'],
        ['user_id', 'text'],
        ['channel', 'text'],
        ['status', 'text'],
        ['recipient', 'text'],
        ['content', 'text'],
        ['provider', 'text'],
        ['template_id', 'text'],
        ['error', 'text'],
        ['response', 'text'],
        ['sent_at', 'bigint'],
        ['created_at', 'bigint'],
        ['updated_at', 'bigint'],
      ],
      orderBy: 'created_at DESC, id DESC',
    });
  }

  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome> {
    return this.table.insertMany(logs);
  }

  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>> {
    return this.table.list(communicationLogConditions(filter), communicationLogTotal(filter), window);
  }

  async find(tenantId: string, id: string): Promise<CommunicationLog | undefined> {
    const [row] = await this.db.query<CommunicationLog>(
      `SELECT * FROM communication_logs WHERE ${THIS_LOG}`,
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
    await this.table.preparePartitions(logs);
    const transitions = entries.flatMap((entry) => entry.transitions);
    const sql = new SqlBuilder();
    const input = this.table.inputCte(logs, sql);
    const arrays = TRANSITION_COLUMNS.map(
      ([column, type]) => `${sql.bind(transitions.map((row) => row[column]))}::${type}[]`,
    );
    const columns = TRANSITION_COLUMNS.map(([column]) => column).join(', ');
    const stored = await this.db.query<StoredKey>(
      `WITH ${input}, ${this.table.claimCte()}, ${this.table.storeCte()},
       history AS (
         INSERT INTO communication_log_transitions (${columns})
         SELECT ${TRANSITION_COLUMNS.map(([column]) => `h.${column}`).join(', ')}
           FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS h(${columns}, position)
           JOIN claimed ON claimed.tenant_id = h.tenant_id AND claimed.id = h.log_id
          ORDER BY h.position)
       SELECT tenant_id, id FROM stored`,
      sql.params,
    );
    return outcome(logs, stored);
  }
}
