import { Type } from 'typebox';
import type { LogQueryDescription } from '../log-kind-module.js';
import { presentAccessLog } from './access-log-presenter.js';
import { ACCESS_LOG_QUERY } from './access-log-query.js';
import { AccessLogItem } from './access-log-schemas.js';
import type { AccessLog } from './access-log-table.js';

/** The access log in the console: items as GET /admin/access-logs lists them. */
export const ACCESS_LOG_CONSOLE: LogQueryDescription<AccessLog> = {
  query: ACCESS_LOG_QUERY,
  filters: {
    actor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'only this actor’s reads' }),
    ),
    route: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'only reads of this route, e.g. /v1/logs/operate-log',
      }),
    ),
  },
  item: AccessLogItem,
  present: presentAccessLog,
};
