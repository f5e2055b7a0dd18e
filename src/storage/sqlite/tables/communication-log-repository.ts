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
import {
  openTransitions,
  sealHistories,
  sealTransition,
} from '../../../kinds/communication-log/sealed-history.js';
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

  async find(tenantId: string, id: string): Promise<CommunicationLog | undefined> {
    const { access } = this.rows;
    const row = access
      .prepare(`SELECT ${access.selectColumns} FROM communication_logs WHERE tenant_id = ? AND id = ?`)
      .get(tenantId, id) as CommunicationLog | undefined;
    return row === undefined ? undefined : (await this.rows.open([row]))[0];
  }

  async applyTransition(transition: StatusTransition, subject?: string): Promise<boolean> {
    const owner = subject ?? this.userOf(transition.tenant_id, transition.log_id);
    if (owner === undefined) return false;
    const sealed = await sealTransition(this.rows.sealer, transition, owner);
    const applied = await this.writer.run({
      type: 'apply-transition',
      transition: sealed.transition,
      subjectKeys: sealed.newKeys,
    });
    this.rows.sealer.adopt(sealed.newKeys);
    return applied;
  }

  /** The user_id of a stored log; undefined when there is no such log. */
  private userOf(tenantId: string, id: string): string | undefined {
    return this.rows.access
      .prepare('SELECT user_id FROM communication_logs WHERE tenant_id = ? AND id = ?')
      .pluck()
      .get(tenantId, id) as string | undefined;
  }

  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]> {
    const stored = this.rows.access
      .prepare(
        `SELECT tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at
           FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ? ORDER BY seq`,
      )
      .all(tenantId, logId) as StatusTransition[];
    return openTransitions(this.rows.sealer, stored);
  }

  async importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome> {
    const sealed = await sealHistories(this.rows.sealer, entries);
    const { ids, duplicates } = await this.writer.run({
      type: 'import-communication-logs',
      entries: sealed.entries,
      subjectKeys: sealed.newKeys,
    });
    this.rows.sealer.adopt(sealed.newKeys);
    return { ids, duplicates };
  }
}
