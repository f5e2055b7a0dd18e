import type { LogQuery } from '../log-query.js';
import { operateLogConditions } from './operate-log-repository.js';
import { OPERATE_LOG_TABLE, type OperateLog } from './operate-log-table.js';

/**
 * The console's filters of operate logs: operate type and merchant code exact, key_words a
 * substring of operate_content as the Tuya API searches it (trimmed; blank does not filter;
 * case-insensitive for ASCII letters), through each store's search index.
 */
export const OPERATE_LOG_QUERY: LogQuery<OperateLog> = {
  table: OPERATE_LOG_TABLE,
  filters: ['operate_type', 'merchant_code', 'key_words'],
  conditions: (params) => {
    const keyWords = params.key_words?.trim();
    return operateLogConditions({
      tenantId: undefined,
      operateType: params.operate_type,
      merchantCode: params.merchant_code,
      keyWords: keyWords === '' ? undefined : keyWords,
    });
  },
};
