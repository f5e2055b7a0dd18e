import type { AuditStore, CountedPage, InsertOutcome } from '../../domain/audit-store.js';
import { decideTransition } from './delivery-status.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { parseOptionalTime, resolveBatch } from '../../domain/ingest-batch.js';
import { toLimitOffset } from '../../domain/paging.js';
import type { Principal } from '../../domain/principal.js';
import {
  COMMUNICATION_LOG_TABLE,
  type Channel,
  type CommunicationLog,
  type DeliveryStatus,
  type StatusTransition,
} from './communication-log-table.js';
import {
  adminReadScope,
  assertWriter,
  ownReadScope,
  writeTenant,
  type ReadScope,
} from '../../domain/tenancy.js';

/** A communication log as a writer sends it; times are RFC 3339 strings. */
export interface CommunicationLogInput {
  id?: string | undefined;
  tenant_id?: string | undefined;
  user_id: string;
  channel: Channel;
  status?: DeliveryStatus | undefined;
  recipient: string;
  content?: string | undefined;
  provider?: string | undefined;
  template_id?: string | undefined;
  error?: string | null | undefined;
  response?: string | null | undefined;
  sent_at?: string | null | undefined;
  created_at?: string | undefined;
  updated_at?: string | undefined;
}

/** Filters and page of the two list endpoints; page and page_size are validated already. */
export interface CommunicationLogQuery {
  tenant_id?: string | undefined;
  user_id?: string | undefined;
  channel?: Channel | undefined;
  status?: DeliveryStatus | undefined;
  page: number;
  page_size: number;
}

/** A delivery receipt: the new status and what the provider reported. */
export interface DeliveryReceipt {
  tenant_id?: string | undefined;
  status: DeliveryStatus;
  error?: string | undefined;
  response?: string | undefined;
  sent_at?: string | undefined;
}

/** How many attempts a status update makes when concurrent receipts race on the same log. */
const TRANSITION_ATTEMPTS = 3;

/** Rules of communication logs: who reads which, ingest, and delivery-status transitions. */
export class CommunicationLogService {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Any user's logs, for admins: the tenant's, or every tenant's for a platform admin. */
  listForAdmin(principal: Principal, query: CommunicationLogQuery): Promise<CountedPage<CommunicationLog>> {
    return this.list(adminReadScope(principal, query.tenant_id), query);
  }

  /** The caller's own logs; asking for another user's is a PermissionError. */
  listOwn(principal: Principal, query: CommunicationLogQuery): Promise<CountedPage<CommunicationLog>> {
    return this.list(ownReadScope(principal, query.user_id), query);
  }

  private list(scope: ReadScope, query: CommunicationLogQuery): Promise<CountedPage<CommunicationLog>> {
    return this.store.communicationLogs.list(
      {
        tenantId: scope.tenantId,
        userId: scope.userId ?? query.user_id,
        channel: query.channel,
        status: query.status,
      },
      toLimitOffset(query.page, query.page_size),
    );
  }

  /** Stores a batch all-or-nothing; ids already stored are skipped, so retries are safe. */
  ingest(principal: Principal, records: readonly CommunicationLogInput[]): Promise<InsertOutcome> {
    const nowMs = this.now();
    const batch = resolveBatch(principal, records, COMMUNICATION_LOG_TABLE.idPrefix, nowMs);
    const logs = batch.map(({ record, index, tenantId, id }): CommunicationLog => {
      const createdAt = parseOptionalTime(record.created_at, `record ${index}: created_at`, nowMs);
      return {
        tenant_id: tenantId,
        id,
        user_id: record.user_id,
        channel: record.channel,
        status: record.status ?? 'pending',
        recipient: record.recipient,
        content: record.content ?? '',
        provider: record.provider ?? '',
        template_id: record.template_id ?? '',
        error: record.error ?? null,
        response: record.response ?? null,
        sent_at: parseOptionalTime(record.sent_at, `record ${index}: sent_at`, null),
        created_at: createdAt,
        updated_at: parseOptionalTime(record.updated_at, `record ${index}: updated_at`, createdAt),
      };
    });
    return this.store.communicationLogs.insertMany(logs);
  }

  /**
   * Applies a delivery receipt to log `id`. A forward move is stored and kept in the log's history;
   * the same status again changes nothing; a backward move is a ConflictError.
   * `sent_at` defaults to now when the message is first seen sent or delivered.
   */
  async applyReceipt(principal: Principal, id: string, receipt: DeliveryReceipt): Promise<CommunicationLog> {
    assertWriter(principal);
    const tenantId = writeTenant(principal, receipt.tenant_id);
    const sentAt = parseOptionalTime(receipt.sent_at, 'sent_at', undefined);
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt += 1) {
      const current = await this.find(tenantId, id);
      if (decideTransition(current.status, receipt.status) === 'unchanged') return current;
      const nowMs = this.now();
      const transition: StatusTransition = {
        tenant_id: tenantId,
        log_id: id,
        from_status: current.status,
        to_status: receipt.status,
        error: receipt.error ?? null,
        response: receipt.response ?? null,
        sent_at: sentAt ?? (current.sent_at === null && receipt.status !== 'failed' ? nowMs : null),
        changed_at: nowMs,
      };
      if (await this.store.communicationLogs.applyTransition(transition, current.user_id)) {
        return this.find(tenantId, id);
      }
    }
    throw new ConflictError(`status of communication log ${id} is changing concurrently; retry the update`);
  }

  /** The accepted status transitions of one log, oldest first, for admins of its tenant. */
  async history(principal: Principal, id: string, tenantId: string | undefined): Promise<StatusTransition[]> {
    const scope = adminReadScope(principal, tenantId);
    if (scope.tenantId === undefined) {
      throw new InvalidInputError('tenant_id is required to look up one log with a platform admin token');
    }
    await this.find(scope.tenantId, id);
    return this.store.communicationLogs.listTransitions(scope.tenantId, id);
  }

  private async find(tenantId: string, id: string): Promise<CommunicationLog> {
    const log = await this.store.communicationLogs.find(tenantId, id);
    if (!log) throw new NotFoundError(`communication log ${id} not found`);
    return log;
  }
}
