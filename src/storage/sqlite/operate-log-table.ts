import type { OperateLog } from '../../domain/records.js';
import type { TableSpec } from './table-access.js';

/** The columns of operate_logs (without its internal seq), in insert order. */
export const OPERATE_LOG_COLUMNS = [
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

/** The columns of a listed row, for SELECT. */
export const SELECT_COLUMNS = OPERATE_LOG_COLUMNS.join(', ');

export const OPERATE_LOG_TABLE: TableSpec<OperateLog> = {
  table: 'operate_logs',
  columns: OPERATE_LOG_COLUMNS,
  orderBy: 'record_time DESC, id DESC',
};
