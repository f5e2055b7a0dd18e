import type { CountedPage, InsertOutcome, OffsetWindow } from '../../domain/audit-store.js';
import {
  communicationLogConditions,
  communicationLogTotal,
  type CommunicationLogFilter,
  type CommunicationLogRepository,
  type CommunicationLogWithHistory,
} from '../../kinds/communication-log/communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  TRANSITION_COLUMNS,
  type CommunicationLog,
  type StatusTransition,
} from '../../kinds/communication-log/communication-log-table.js';
import type { PgLogRows } from './pg-log-rows.js';
import type { PgExecutor } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import type { StoredKey } from './table-access.js';
import { outcome } from './table-access.js';
import {
  openTransitions,
  sealHistories,
  sealTransition,
} from '../../kinds/communication-log/sealed-history.js';
import { subjectKeysCte } from './subject-key-repository.js';
import { talliedCtes } from './tally-writes.js';

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
    const rows = await this.db.query<CommunicationLog>(
      `SELECT ${this.rows.access.readList} FROM communication_logs WHERE ${THIS_LOG}`,
      [tenantId, id],
    );
    return (await this.rows.open(rows))[0];
  }

  /**
   * One statement: the compare-and-set update and, only when it moved the log, the history row
   * with what the update replaced (read from the row it updated), and the subject keys sealing it.
   */
  async applyTransition(transition: StatusTransition, subject?: string): Promise<boolean> {
    const owner = subject ?? (await this.userOf(transition.tenant_id, transition.log_id));
    if (owner === undefined) return false;
    const { transition: sealed, newKeys } = await sealTransition(this.rows.sealer, transition, owner);
    const sql = new SqlBuilder();
    // Bound first, so that they are $1 … $8 in the text below; the keys' arrays follow.
    [
      sealed.tenant_id,
      sealed.log_id,
      sealed.from_status,
      sealed.to_status,
      sealed.error,
      sealed.response,
      sealed.sent_at,
      sealed.changed_at,
    ].forEach((value) => sql.bind(value));
    const keys = subjectKeysCte(newKeys, sql);
    const rows = await this.db.query(
      `WITH ${[
        ...keys,
        `old AS (SELECT tenant_id, id, created_at, error, response, sent_at, updated_at
                   FROM communication_logs WHERE ${THIS_LOG} AND status = $3)`,
        `moved AS (
           UPDATE communication_logs c
              SET status = $4,
                  error = coalesce($5, c.error),
                  response = coalesce($6, c.response),
                  sent_at = coalesce($7::bigint, c.sent_at),
                  updated_at = $8
             FROM old
            WHERE c.tenant_id = old.tenant_id AND c.id = old.id AND c.created_at = old.created_at
              AND c.status = $3
           RETURNING old.error, old.response, old.sent_at, old.updated_at, c.tenant_id, c.channel, c.created_at)`,
        // The log leaves its old status's counts for its new one's.
        `moves AS (
           SELECT tenant_id, channel, created_at, $4::text AS status, 1 AS delta FROM moved
           UNION ALL SELECT tenant_id, channel, created_at, $3::text, -1 FROM moved)`,
        ...talliedCtes(COMMUNICATION_LOG_TABLE, 'moves', 'delta'),
      ].join(', ')}
       INSERT INTO communication_log_transitions
         (tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at,
          prev_error, prev_response, prev_sent_at, prev_updated_at)
       SELECT $1, $2, $3, $4, $5, $6, $7::bigint, $8, error, response, sent_at, updated_at FROM moved
       RETURNING 1`,
      sql.params,
    );
    this.rows.sealer.adopt(newKeys);
    return rows.length === 1;
  }

  /** The user_id of a stored log; undefined when there is no such log. */
  private async userOf(tenantId: string, id: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM communication_logs WHERE ${THIS_LOG}`,
      [tenantId, id],
    );
    return row?.user_id;
  }

  async listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]> {
    const stored = await this.db.query<StatusTransition>(
      `SELECT tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at
         FROM communication_log_transitions WHERE tenant_id = $1 AND log_id = $2 ORDER BY seq`,
      [tenantId, logId],
    );
    return openTransitions(this.rows.sealer, stored);
  }

  /** Logs and their histories in one statement; the history of a log stored already is skipped. */
  async importMany(plain: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome> {
    if (plain.length === 0) return { ids: [], duplicates: [] };
    const { entries, newKeys } = await sealHistories(this.rows.sealer, plain);
    const logs = entries.map((entry) => entry.log);
    const table = this.rows.access;
    table.preparePartitions(logs);
    const transitions = entries.flatMap((entry) => entry.transitions);
    const sql = new SqlBuilder();
    const input = table.inputCte(logs, sql);
    const arrays = TRANSITION_COLUMNS.map(
      ([column, type]) => `${sql.bind(transitions.map((row) => row[column]))}::${type}[]`,
    );
    const columns = TRANSITION_COLUMNS.map(([column]) => column).join(', ');
    const stored = await this.db.query<StoredKey>(
      `WITH ${[input, ...subjectKeysCte(newKeys, sql)].join(', ')}, ${table.claimCte()}, ${table.storeCte()},
       history AS (
         INSERT INTO communication_log_transitions (${columns})
         SELECT ${TRANSITION_COLUMNS.map(([column]) => `h.${column}`).join(', ')}
           FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS h(${columns}, position)
           JOIN claimed ON claimed.tenant_id = h.tenant_id AND claimed.id = h.log_id
          ORDER BY h.position)
       SELECT tenant_id, id FROM stored`,
      sql.params,
    );
    this.rows.sealer.adopt(newKeys);
    return this.rows.published(logs, outcome(logs, stored));
  }
}
