import type Database from 'better-sqlite3';
import type { CommunicationLogWithHistory, InsertOutcome } from '../../domain/audit-store.js';
import type { CommunicationLog, StatusTransition } from '../../domain/records.js';
import { APPEND_TRANSITION_SQL, COMMUNICATION_LOG_TABLE } from './communication-log-table.js';
import { TableAccess } from './table-access.js';

/**
 * The communication-log writes, synchronous on the writing connection `db` (see
 * write-operations.ts); each runs inside the writer's group transaction.
 */
export function communicationLogWrites(db: Database.Database) {
  const table = new TableAccess(db, COMMUNICATION_LOG_TABLE);
  return {
    insertCommunicationLogs(logs: readonly CommunicationLog[]): InsertOutcome {
      return table.insertMany(logs);
    },

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

    importCommunicationLogs(entries: readonly CommunicationLogWithHistory[]): InsertOutcome {
      const append = table.prepare(APPEND_TRANSITION_SQL);
      // A log stored already has its own history; appending the copy's would double it. The log
      // row already holds the outcome of these transitions, so they are appended as history only,
      // without the compare-and-set of applyTransition.
      const appendHistory = (index: number) => {
        for (const transition of entries[index]?.transitions ?? []) append.run(transition);
      };
      const logs = entries.map(({ log }) => log);
      const duplicates = db.transaction(() => table.insertNew(logs, appendHistory)).immediate();
      return { ids: logs.map((log) => log.id), duplicates };
    },
  };
}
