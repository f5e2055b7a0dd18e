import type Database from 'better-sqlite3';
import type { InsertOutcome } from '../../domain/audit-store.js';
import type { OperateLog } from '../../domain/records.js';
import { OPERATE_LOG_TABLE } from './operate-log-table.js';
import { TableAccess } from './table-access.js';

/** The operate-log writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function operateLogWrites(db: Database.Database) {
  const table = new TableAccess(db, OPERATE_LOG_TABLE);
  return {
    insertOperateLogs(logs: readonly OperateLog[]): InsertOutcome {
      return table.insertMany(logs);
    },
  };
}
