import type Database from 'better-sqlite3';
import type { InsertOutcome } from '../../domain/audit-store.js';
import type { MfaConfigAuditLog } from '../../domain/records.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from './mfa-config-audit-log-table.js';
import { TableAccess } from './table-access.js';

/** The MFA-audit-log writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function mfaConfigAuditLogWrites(db: Database.Database) {
  const table = new TableAccess(db, MFA_CONFIG_AUDIT_LOG_TABLE);
  return {
    insertMfaConfigAuditLogs(logs: readonly MfaConfigAuditLog[]): InsertOutcome {
      return table.insertMany(logs);
    },
  };
}
