import type Database from 'better-sqlite3';
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
import { asPromise } from './as-promise.js';
import type { StoreWriter } from './store-writer.js';
import { TableAccess, type TableSpec } from './table-access.js';

/** The columns of communication_logs, in insert order. */
export const COMMUNICATION_LOG_COLUMNS = [
  'tenant_id',
  'id',
  'user_id',
  'channel',
  'status',
  'recipient',
  'content',
  'provider',
  'template_id',
  'error',
  'response',
  'sent_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof CommunicationLog>;

const COMMUNICATION_LOG_TABLE: TableSpec<CommunicationLog> = {
  table: 'communication_logs',
  columns: COMMUNICATION_LOG_COLUMNS,
  orderBy: 'created_at DESC, id DESC',
  tally: {
    table: 'communication_log_tallies',
    columns: ['tenant_id', 'channel', 'status'],
    key: (log) => [log.tenant_id, log.channel, log.status],
  },
};

const APPEND_TRANSITION_SQL = `INSERT INTO communication_log_transitions
    (tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at)
  VALUES (@tenant_id, @log_id, @from_status, @to_status, @error, @response, @sent_at, @changed_at)`;

export class SqliteCommunicationLogRepository implements CommunicationLogRepository {
  private readonly table: TableAccess<CommunicationLog>;

  /** Reads on `db`; writes go to `writer` (see communicationLogWrites). */
  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    this.table = new TableAccess(db, COMMUNICATION_LOG_TABLE);
  }

  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome> {
    return this.writer.run('insertCommunicationLogs', logs);
  }

  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>> {
    return asPromise(() =>
      this.table.list(communicationLogConditions(filter), communicationLogTotal(filter), window),
    );
  }

  find(tenantId: string, id: string): Promise<CommunicationLog | undefined> {
    return asPromise(
      () =>
        this.table
          .prepare('SELECT * FROM communication_logs WHERE tenant_id = ? AND id = ?')
          .get(tenantId, id) as CommunicationLog | undefined,
    );
  }

  applyTransition(transition: StatusTransition): Promise<boolean> {
    return this.writer.run('applyTransition', transition);
  }

  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]> {
    return asPromise(
      () =>
        this.table
          .prepare(
            `SELECT tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at
               FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ? ORDER BY seq`,
          )
          .all(tenantId, logId) as StatusTransition[],
    );
  }

  importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome> {
    return this.writer.run('importCommunicationLogs', entries);
  }
}

/**
 * The communication-log writes, synchronous on the writing connection `db` (see
 * write-operations.ts); each runs inside the writer's group transaction.
 */
export function communicationLogWrites(db: Database.Database) {
  const table = new TableAccess(db, COMMUNICATION_LOG_TABLE);
  return {
    insertCommunicationLogs(logs: readonly CommunicationLog[]): InsertOutcome {
      return table.insertMany(logs);
    },

    /** Compare-and-set of the status, with the transition appended to the history; false when the status moved on. */
    applyTransition(transition: StatusTransition): boolean {
      const update = table.prepare(
        `UPDATE communication_logs
            SET status = @to_status,
                error = coalesce(@error, error),
                response = coalesce(@response, response),
                sent_at = coalesce(@sent_at, sent_at),
                updated_at = @changed_at
          WHERE tenant_id = @tenant_id AND id = @log_id AND status = @from_status`,
      );
      const append = table.prepare(APPEND_TRANSITION_SQL);
      return db
        .transaction(() => {
          if (update.run(transition).changes !== 1) return false;
          append.run(transition);
          return true;
        })
        .immediate();
    },

    importCommunicationLogs(entries: readonly CommunicationLogWithHistory[]): InsertOutcome {
      const append = table.prepare(APPEND_TRANSITION_SQL);
      // A log stored already has its own history; appending the copy's would double it. The log
      // row already holds the outcome of these transitions, so they are appended as history only,
      // without the compare-and-set of applyTransition.
      const appendHistory = (index: number) => {
        for (const transition of entries[index]?.transitions ?? []) append.run(transition);
      };
      const logs = entries.map(({ log }) => log);
      const duplicates = db.transaction(() => table.insertNew(logs, appendHistory)).immediate();
      return { ids: logs.map((log) => log.id), duplicates };
    },
  };
}
