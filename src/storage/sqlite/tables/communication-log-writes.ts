import type Database from 'better-sqlite3';
import type { CommunicationLogWithHistory } from '../../../kinds/communication-log/communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  TRANSITION_COLUMNS,
  type CommunicationLog,
  type StatusTransition,
} from '../../../kinds/communication-log/communication-log-table.js';
import type { StoredOutcome } from '../../../domain/after-commit.js';
import { TableAccess } from './table-access.js';
import type { LeafAssignment } from './leaf-assignment.js';

/** The history's columns as stored: each transition keeps what it replaced (see delivery-history.ts). */
const HISTORY_COLUMNS = [
  ...TRANSITION_COLUMNS.map(([column]) => column),
  'prev_error',
  'prev_response',
  'prev_sent_at',
  'prev_updated_at',
];

/** Appends one delivery-status change to a log's history. */
const APPEND_TRANSITION_SQL = `INSERT INTO communication_log_transitions (${HISTORY_COLUMNS.join(', ')})
  VALUES (${HISTORY_COLUMNS.map((column) => `@${column}`).join(', ')})`;

/** A transition with what it replaced, as the history stores it; null where copied without. */
interface StoredTransition extends StatusTransition {
  prev_error: string | null;
  prev_response: string | null;
  prev_sent_at: number | null;
  prev_updated_at: number | null;
}

const LEGACY = { prev_error: null, prev_response: null, prev_sent_at: null, prev_updated_at: null };

/**
 * The communication-log writes beyond the common insert, synchronous on the writing connection
 * `db`; each runs inside the writer's group transaction.
 */
export function communicationLogWrites(db: Database.Database, leaves: LeafAssignment) {
  const table = new TableAccess(db, COMMUNICATION_LOG_TABLE);
  const { kind } = COMMUNICATION_LOG_TABLE;
  const historyLength = (tenantId: string, logId: string) =>
    table
      .prepare('SELECT count(*) FROM communication_log_transitions WHERE tenant_id = ? AND log_id = ?')
      .pluck()
      .get(tenantId, logId) as number;
  return {
    /**
     * Compare-and-set of the status, with the transition appended to the history (after `first`,
     * which stores the subject keys sealing it); false when the status moved on.
     */
    applyTransition(transition: StatusTransition, first?: () => void): boolean {
      const before = table.prepare(
        `SELECT error AS prev_error, response AS prev_response, sent_at AS prev_sent_at,
                updated_at AS prev_updated_at
           FROM communication_logs WHERE tenant_id = ? AND id = ? AND status = ?`,
      );
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
          const previous = before.get(transition.tenant_id, transition.log_id, transition.from_status) as
            typeof LEGACY | undefined;
          if (previous === undefined || update.run(transition).changes !== 1) return false;
          first?.();
          const stored = { ...transition, ...previous } satisfies StoredTransition;
          append.run(stored);
          // Its rank in the log's history: transitions are only ever appended.
          leaves.transition(kind, stored, historyLength(transition.tenant_id, transition.log_id));
          return true;
        })
        .immediate();
    },

    /** Logs (sealed) with their histories, after `first`, which stores the subject keys sealing them. */
    importCommunicationLogs(
      entries: readonly CommunicationLogWithHistory[],
      first?: () => void,
    ): StoredOutcome {
      const append = table.prepare(APPEND_TRANSITION_SQL);
      // A log stored already has its own history; appending the copy's would double it. The log
      // row already holds the outcome of these transitions, so they are appended as history only,
      // without the compare-and-set of applyTransition.
      const stored: number[] = [];
      const appendHistory = (index: number) => {
        stored.push(index);
        // Copied without what each replaced: kept as legacy history (see delivery-history.ts).
        for (const transition of entries[index]?.transitions ?? []) {
          append.run({ ...transition, ...LEGACY } satisfies StoredTransition);
        }
      };
      const logs = entries.map(({ log }) => log);
      const duplicates = db
        .transaction(() => {
          first?.();
          const existing = table.insertNew(logs, appendHistory);
          leaves.records(
            kind,
            stored.map((index) => logs[index] as CommunicationLog),
            { transitionsOf: (log) => historyLength(log.tenant_id, log.id) },
          );
          return existing;
        })
        .immediate();
      return { ids: logs.map((log) => log.id), duplicates, stored };
    },
  };
}
