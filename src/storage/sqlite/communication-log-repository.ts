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
import { COMMUNICATION_LOG_TABLE } from './communication-log-table.js';
import { TableAccess } from './table-access.js';

export class SqliteCommunicationLogRepository implements CommunicationLogRepository {
  private readonly table: TableAccess<CommunicationLog>;

  /** Reads on `db`; writes go to `writer` (see communication-log-writes.ts). */
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
