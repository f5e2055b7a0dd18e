import { Type } from 'typebox';
import type { LogQueryDescription } from '../log-kind-module.js';
import { OPERATE_LOG_QUERY } from './operate-log-query.js';
import { OperateLogItem } from './operate-log-schemas.js';
import type { OperateLog } from './operate-log-table.js';

/** An operate log in the console: the Tuya list item (record_time epoch ms) and its tenant. */
export const OperateLogConsoleItem = Type.Object(
  {
    ...OperateLogItem.properties,
    tenant_id: Type.String({ description: 'the tenant (Tuya project) the log belongs to' }),
  },
  { title: 'OperateLogConsoleItem' },
);

/** Operate logs in the console: items as the Tuya list shows them, with tenant_id. */
export const OPERATE_LOG_CONSOLE: LogQueryDescription<OperateLog> = {
  query: OPERATE_LOG_QUERY,
  filters: {
    operate_type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'the operation type (exact)' }),
    ),
    merchant_code: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'the code of a merchant (exact)' }),
    ),
    key_words: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'substring of operate_content, as the Tuya API searches it; case-insensitive for Latin letters',
      }),
    ),
  },
  item: OperateLogConsoleItem,
  // The Tuya list sends the stored row as it is (its schema picks the fields).
  present: (log) => ({ ...log }),
};
