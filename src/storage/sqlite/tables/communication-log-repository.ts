import type { CountedPage, InsertOutcome, OffsetWindow } from '../../../domain/audit-store.js';
import {
  communicationLogConditions,
  communicationLogTotal,
  type CommunicationLogFilter,
  type CommunicationLogRepository,
  type CommunicationLogWithHistory,
} from '../../../kinds/communication-log/communication-log-repository.js';
import type {
  CommunicationLog,
  StatusTransition,
} from '../../../kinds/communication-log/communication-log-table.js';
import { asPromise } from '../engine/as-promise.js';
import type { SqliteLogRows } from './sqlite-log-rows.js';
import type { StoreWriter } from '../engine/store-writer.js';

export class SqliteCommunicationLogRepository implements CommunicationLogRepository {
  /** Reads and inserts through `rows`; history writes go to `writer` (see communication-log-writes.ts). */
  constructor(
    private readonly rows: SqliteLogRows<CommunicationLog>,
    private readonly writer: StoreWriter,
  ) {}

  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome> {
    return this.rows.insertMany(logs);
  }

  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>> {
    return this.rows.list(communicationLogConditions(filter), communicationLogTotal(filter), window);
  }

  find(tenantId: string, id: string): Promise<CommunicationLog | undefined> {
    const { access } = this.rows;
    return asPromise(
      () =>
        access
          .prepare(`SELECT ${access.selectColumns} FROM communication_logs WHERE tenant_id = ? AND id = ?`)
          .get(tenantId, id) as CommunicationLog | undefined,
    );
  }

  applyTransition(transition: StatusTransition): Promise<boolean> {
    return this.writer.run({ type: 'apply-transition', transition });
  }

  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]> {
    return asPromise(
      () =>
        this.rows.access
          .prepare(
            `SELECT tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at
               FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ? ORDER BY seq`,
          )
          .all(tenantId, logId) as StatusTransition[],
    );
  }

  async importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome> {
    const { ids, duplicates } = await this.writer.run({ type: 'import-communication-logs', entries });
    return { ids, duplicates };
  }
}
