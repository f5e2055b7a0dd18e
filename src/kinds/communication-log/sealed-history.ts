import type { RowSealer, StoredRow } from '../../sealing/row-sealer.js';
import type { StoredSubjectKey } from '../../sealing/subject-key-ring.js';
import type { CommunicationLogWithHistory } from './communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  type CommunicationLog,
  type StatusTransition,
} from './communication-log-table.js';

/**
 * A delivery-status history's personal columns (`error`, `response`) are sealed like the log's own
 * separately sealed columns, bound to the log: the envelope a transition stores is the one the
 * log's row takes, so both open with the log's subject key. Shared by every store.
 */

/** `transition` with error/response sealed for the log's data subject `subject` (its user_id). */
export async function sealTransition(
  sealer: RowSealer,
  transition: StatusTransition,
  subject: string,
): Promise<{ transition: StatusTransition; newKeys: StoredSubjectKey[] }> {
  const { values, newKeys } = await sealer.sealColumns(
    COMMUNICATION_LOG_TABLE,
    { tenantId: transition.tenant_id, recordId: transition.log_id, subject },
    { error: transition.error, response: transition.response },
  );
  return {
    transition: { ...transition, error: values.error ?? null, response: values.response ?? null },
    newKeys,
  };
}

/** Stored transitions (and what each replaced) as the APIs show them. */
export function openTransitions<Transition extends StatusTransition>(
  sealer: RowSealer,
  stored: readonly Transition[],
): Promise<Transition[]> {
  return sealer.openColumns(
    COMMUNICATION_LOG_TABLE,
    stored,
    (transition) => ({ tenantId: transition.tenant_id, recordId: transition.log_id }),
    [
      ['error', 'error'],
      ['response', 'response'],
    ],
  );
}

/** Logs and their histories as copied between stores (plain), sealed for the target. */
export async function sealHistories(
  sealer: RowSealer,
  entries: readonly CommunicationLogWithHistory[],
): Promise<{ entries: CommunicationLogWithHistory[]; newKeys: StoredSubjectKey[] }> {
  const logs = await sealer.sealRows(
    COMMUNICATION_LOG_TABLE,
    entries.map(({ log }) => log),
  );
  const newKeys = [...logs.newKeys];
  const sealed: CommunicationLogWithHistory[] = [];
  for (const [index, entry] of entries.entries()) {
    const transitions: StatusTransition[] = [];
    for (const transition of entry.transitions) {
      const one = await sealTransition(sealer, transition, entry.log.user_id);
      transitions.push(one.transition);
      newKeys.push(...one.newKeys);
    }
    // A stored row: the log's columns sealed, plus its envelope.
    const log = logs.rows[index] as StoredRow & CommunicationLog;
    sealed.push({ log, transitions });
  }
  return { entries: sealed, newKeys };
}
