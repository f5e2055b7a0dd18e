import { maskRecipient } from '../domain/masking.js';
import { buildPageInfo, type PageInfo } from '../domain/paging.js';
import type { CommunicationLog, MfaConfigAuditLog, StatusTransition } from '../domain/records.js';
import { formatRfc3339 } from '../domain/time.js';
import type { CountedPage } from '../domain/audit-store.js';

/**
 * Turns stored rows into the AuthMS response items. Every route that returns a communication log
 * goes through presentCommunicationLog, which is where the recipient is masked.
 */
export function presentCommunicationLog(log: CommunicationLog) {
  return {
    id: log.id,
    tenant_id: log.tenant_id,
    user_id: log.user_id,
    channel: log.channel,
    status: log.status,
    recipient: maskRecipient(log.recipient),
    content: log.content,
    provider: log.provider,
    template_id: log.template_id,
    error: log.error,
    response: log.response,
    sent_at: log.sent_at === null ? '' : formatRfc3339(log.sent_at),
    created_at: formatRfc3339(log.created_at),
    updated_at: formatRfc3339(log.updated_at),
  };
}

export function presentMfaConfigAuditLog(log: MfaConfigAuditLog) {
  return { ...log, timestamp: formatRfc3339(log.timestamp) };
}

export function presentStatusTransition(transition: StatusTransition) {
  return {
    from_status: transition.from_status,
    to_status: transition.to_status,
    error: transition.error,
    response: transition.response,
    sent_at: transition.sent_at === null ? '' : formatRfc3339(transition.sent_at),
    changed_at: formatRfc3339(transition.changed_at),
  };
}

/** The AuthMS success envelope; `code` equals the HTTP status (200). */
export function envelope<Body extends object>(body: Body) {
  return { code: 200, message: 'ok', ...body, timestamp: formatRfc3339(Date.now()) };
}

/** The AuthMS list envelope: items, the flat total and the nested pagination block. */
export function listEnvelope<Row, Item>(
  page: CountedPage<Row>,
  query: { page: number; page_size: number },
  present: (row: Row) => Item,
): ReturnType<typeof envelope<{ items: Item[]; total: number; pagination: PageInfo }>> {
  return envelope({
    items: page.rows.map(present),
    total: page.total,
    pagination: buildPageInfo(query.page, query.page_size, page.total),
  });
}
