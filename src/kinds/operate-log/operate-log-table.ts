import { logTable } from '../log-table.js';

/** One operator action on an IoT cloud project (Tuya `list` item of the operate-logs API). */
export interface OperateLog {
  tenant_id: string;
  id: string;
  /** Epoch ms. */
  record_time: number;
  uid: string;
  username: string;
  operate_type: string;
  operate_content: string;
  user_id: string;
  role: string;
  account: string;
  operate_geo_info: string;
  operate_ip_info: string;
  client_id: string;
  merchant_code: string;
  ext: string;
  project_code: string;
}

export const OPERATE_LOG_TABLE = logTable<OperateLog>({
  kind: 'operate-log',
  table: 'operate_logs',
  columns: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['record_time', 'bigint'],
    ['uid', 'text'],
    ['username', 'text'],
    ['operate_type', 'text'],
    ['operate_content', 'text'],
    ['user_id', 'text'],
    ['role', 'text'],
    ['account', 'text'],
    ['operate_geo_info', 'text'],
    ['operate_ip_info', 'text'],
    ['client_id', 'text'],
    ['merchant_code', 'text'],
    ['ext', 'text'],
    ['project_code', 'text'],
  ],
  timeColumn: 'record_time',
  keysTable: 'operate_log_keys',
  idPrefix: 'op_',
  retention: { defaultPeriod: '365d' },
  // A tenant's merchants are few (its apps' brands), so they are counted apart too.
  volume: { table: 'operate_log_volume', dimensions: ['operate_type', 'merchant_code'] },
  sealing: {
    sealed: ['username', 'account', 'operate_geo_info', 'operate_ip_info', 'operate_content'],
    subject: 'user_id',
    searchCopy: { column: 'search_text', of: 'operate_content' },
  },
});
