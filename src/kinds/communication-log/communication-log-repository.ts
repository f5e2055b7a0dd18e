import type { CountedPage, InsertOutcome, OffsetWindow } from '../../domain/log-rows.js';
import { where, type Condition, type TotalPart } from '../../domain/conditions.js';
import type {
  Channel,
  CommunicationLog,
  DeliveryStatus,
  StatusTransition,
} from './communication-log-table.js';

/** Filters of a communication-log list; an undefined field does not filter. */
export interface CommunicationLogFilter {
  tenantId?: string | undefined;
  userId?: string | undefined;
  channel?: Channel | undefined;
  status?: DeliveryStatus | undefined;
}

/** A communication log with its delivery-status history (oldest first), as copied between stores. */
export interface CommunicationLogWithHistory {
  log: CommunicationLog;
  transitions: StatusTransition[];
}

/** The store port of communication logs: the common rows, and the delivery-status history. */
export interface CommunicationLogRepository {
  /**
   * Stores the batch in one transaction: all rows or none. A row whose (tenant_id, id) is stored
   * already is skipped, so a retried batch stores nothing twice.
   */
  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome>;
  /** Newest first by (created_at, id). */
  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>>;
  find(tenantId: string, id: string): Promise<CommunicationLog | undefined>;
  /**
   * Moves the log to `transition.to_status` only if its status is still `transition.from_status`
   * (compare-and-set), updating error/response/sent_at (when given) and updated_at, and appends the
   * transition to the log's history, in one transaction. Returns false when the status had changed.
   * The transition's error/response are sealed for the log's data subject, its user_id: a caller
   * that read the log passes it as `subject`, saving the store a read.
   */
  applyTransition(transition: StatusTransition, subject?: string): Promise<boolean>;
  /** The log's accepted transitions, oldest first. */
  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]>;
  /**
   * Stores logs together with their histories as another store kept them (`sealog copy`), in one
   * transaction. Idempotent like insertMany: a log stored already is skipped with its history.
   */
  importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome>;
}

/** The conditions of a communication-log list (the columns are the same on every store). */
export function communicationLogConditions(filter: CommunicationLogFilter): Condition[] {
  return [
    where('tenant_id', '=', filter.tenantId),
    where('user_id', '=', filter.userId),
    where('channel', '=', filter.channel),
    where('status', '=', filter.status),
  ];
}

/**
 * How the `total` of a communication-log list is counted. Without a user filter every condition
 * is a tally column, so the total is a sum over at most (channels × statuses) rows per tenant
 * instead of a count of millions; a user's logs are few and counted through their index.
 */
export function communicationLogTotal(filter: CommunicationLogFilter): TotalPart[] {
  const conditions = communicationLogConditions(filter);
  if (filter.userId !== undefined) return [{ source: 'rows', conditions }];
  return [{ source: 'tallies', table: 'communication_log_tallies', conditions }];
}
