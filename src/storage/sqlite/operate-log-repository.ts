import type Database from 'better-sqlite3';
import type { InsertOutcome, OperateLogRepository } from '../audit-store.js';
import type { OperateLog } from '../../domain/records.js';
import { asPromise } from './as-promise.js';
import { TableAccess } from './table-access.js';

const COLUMNS = [
  'tenant_id',
  'id',
  'record_time',
  'uid',
  'username',
  'operate_type',
  'operate_content',
  'user_id',
  'role',
  'account',
  'operate_geo_info',
  'operate_ip_info',
  'client_id',
  'merchant_code',
  'ext',
  'project_code',
] as const satisfies ReadonlyArray<keyof OperateLog>;

export class SqliteOperateLogRepository implements OperateLogRepository {
  private readonly table: TableAccess<OperateLog>;

  constructor(db: Database.Database) {
    this.table = new TableAccess(db, {
      table: 'operate_logs',
      columns: COLUMNS,
      orderBy: 'record_time DESC, id DESC',
    });
  }

  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome> {
    return asPromise(() => this.table.insertMany(logs));
  }
}
