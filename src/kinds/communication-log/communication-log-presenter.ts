import { maskRecipient } from '../../domain/masking.js';
import { formatRfc3339 } from '../../domain/time.js';
import { ERASED } from '../../sealing/personal-fields.js';
import type { CommunicationLog, StatusTransition } from './communication-log-table.js';

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
    // An erased recipient says so plainly: masked, [erased] would read as a value of its own.
    recipient: log.recipient === ERASED ? ERASED : maskRecipient(log.recipient),
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
