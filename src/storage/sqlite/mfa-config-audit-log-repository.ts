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
import { mfaConfigAuditLogTotal } from '../list-totals.js';
import { asPromise } from './as-promise.js';
import type { StoreWriter } from './store-writer.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from './mfa-config-audit-log-table.js';
import { TableAccess } from './table-access.js';

export class SqliteMfaConfigAuditLogRepository implements MfaConfigAuditLogRepository {
  private readonly table: TableAccess<MfaConfigAuditLog>;

  /** Reads on `db`; writes go to `writer` (see mfa-config-audit-log-writes.ts). */
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
