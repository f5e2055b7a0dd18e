import type Database from 'better-sqlite3';
import type { CommunicationLogWithHistory } from '../../../kinds/communication-log/communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  TRANSITION_COLUMNS,
  type StatusTransition,
} from '../../../kinds/communication-log/communication-log-table.js';
import type { StoredOutcome } from '../../../domain/after-commit.js';
import { TableAccess } from './table-access.js';

/** Appends one delivery-status change to a log's history. */
const APPEND_TRANSITION_SQL = `INSERT INTO communication_log_transitions
    (${TRANSITION_COLUMNS.map(([column]) => column).join(', ')})
  VALUES (${TRANSITION_COLUMNS.map(([column]) => `@${column}`).join(', ')})`;

/**
 * The communication-log writes beyond the common insert, synchronous on the writing connection
 * `db`; each runs inside the writer's group transaction.
 */
export function communicationLogWrites(db: Database.Database) {
  const table = new TableAccess(db, COMMUNICATION_LOG_TABLE);
  return {
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

    importCommunicationLogs(entries: readonly CommunicationLogWithHistory[]): StoredOutcome {
      const append = table.prepare(APPEND_TRANSITION_SQL);
      // A log stored already has its own history; appending the copy's would double it. The log
      // row already holds the outcome of these transitions, so they are appended as history only,
      // without the compare-and-set of applyTransition.
      const stored: number[] = [];
      const appendHistory = (index: number) => {
        stored.push(index);
        for (const transition of entries[index]?.transitions ?? []) append.run(transition);
      };
      const logs = entries.map(({ log }) => log);
      const duplicates = db.transaction(() => table.insertNew(logs, appendHistory)).immediate();
      return { ids: logs.map((log) => log.id), duplicates, stored };
    },
  };
}
