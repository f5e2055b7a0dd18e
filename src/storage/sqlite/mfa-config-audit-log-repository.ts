import type Database from 'better-sqlite3';
import type {
  CountedPage,
  InsertOutcome,
  MfaConfigAuditLogFilter,
  MfaConfigAuditLogRepository,
  OffsetWindow,
} from '../../domain/audit-store.js';
import type { MfaConfigAuditLog } from '../../domain/records.js';
import { mfaConfigAuditLogConditions } from '../filter-conditions.js';
import { mfaConfigAuditLogTotal, utcDay } from '../list-totals.js';
import { asPromise } from './as-promise.js';
import type { StoreWriter } from './store-writer.js';
import { TableAccess, type TableSpec } from './table-access.js';

/** The columns of mfa_config_audit_logs, in insert order. */
export const MFA_CONFIG_AUDIT_LOG_COLUMNS = [
  'tenant_id',
  'id',
  'action',
  'target_type',
  'target_id',
  'operator_id',
  'module',
  'message',
  'timestamp',
] as const satisfies ReadonlyArray<keyof MfaConfigAuditLog>;

const MFA_CONFIG_AUDIT_LOG_TABLE: TableSpec<MfaConfigAuditLog> = {
  table: 'mfa_config_audit_logs',
  columns: MFA_CONFIG_AUDIT_LOG_COLUMNS,
  orderBy: '"timestamp" DESC, id DESC',
  tally: {
    table: 'mfa_config_audit_log_tallies',
    columns: ['tenant_id', 'day', 'action', 'target_type'],
    key: (log) => [log.tenant_id, utcDay(log.timestamp), log.action, log.target_type],
  },
};

export class SqliteMfaConfigAuditLogRepository implements MfaConfigAuditLogRepository {
  private readonly table: TableAccess<MfaConfigAuditLog>;

  /** Reads on `db`; writes go to `writer` (see mfaConfigAuditLogWrites). */
  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    this.table = new TableAccess(db, MFA_CONFIG_AUDIT_LOG_TABLE);
  }

  insertMany(logs: readonly MfaConfigAuditLog[]): Promise<InsertOutcome> {
    return this.writer.run('insertMfaConfigAuditLogs', logs);
  }

  list(filter: MfaConfigAuditLogFilter, window: OffsetWindow): Promise<CountedPage<MfaConfigAuditLog>> {
    return asPromise(() =>
      this.table.list(mfaConfigAuditLogConditions(filter), mfaConfigAuditLogTotal(filter), window),
    );
  }
}

/** The MFA-audit-log writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function mfaConfigAuditLogWrites(db: Database.Database) {
  const table = new TableAccess(db, MFA_CONFIG_AUDIT_LOG_TABLE);
  return {
    insertMfaConfigAuditLogs(logs: readonly MfaConfigAuditLog[]): InsertOutcome {
      return table.insertMany(logs);
    },
  };
}
