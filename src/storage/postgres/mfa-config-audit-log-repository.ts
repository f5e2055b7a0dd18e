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
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor } from './pg-executor.js';
import { PgTableAccess } from './table-access.js';

export class PgMfaConfigAuditLogRepository implements MfaConfigAuditLogRepository {
  private readonly table: PgTableAccess<MfaConfigAuditLog>;

  constructor(db: PgExecutor, partitions: PartitionKeeper) {
    this.table = new PgTableAccess(db, partitions, {
      table: 'mfa_config_audit_logs',
      keysTable: 'mfa_config_audit_log_keys',
      timeColumn: 'timestamp',
      columns: [
        ['tenant_id', 'text'],
        ['id', 'text'],
        ['action', 'text'],
        ['target_type', 'text'],
        ['target_id', 'text'],
        ['operator_id', 'text'],
        ['module', 'text'],
        ['message', 'text'],
        ['timestamp', 'bigint'],
      ],
      orderBy: '"timestamp" DESC, id DESC',
    });
  }

  insertMany(logs: readonly MfaConfigAuditLog[]): Promise<InsertOutcome> {
    return this.table.insertMany(logs);
  }

  list(filter: MfaConfigAuditLogFilter, window: OffsetWindow): Promise<CountedPage<MfaConfigAuditLog>> {
    return this.table.list(mfaConfigAuditLogConditions(filter), mfaConfigAuditLogTotal(filter), window);
  }
}
