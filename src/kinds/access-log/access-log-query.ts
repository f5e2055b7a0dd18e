import { where } from '../../domain/conditions.js';
import type { LogQuery } from '../log-query.js';
import { ACCESS_LOG_TABLE, type AccessLog } from './access-log-table.js';

/** The console's filters of the access log: actor and route, exact, as GET /admin/access-logs. */
export const ACCESS_LOG_QUERY: LogQuery<AccessLog> = {
  table: ACCESS_LOG_TABLE,
  filters: ['actor', 'route'],
  conditions: (params) => [where('actor', '=', params.actor), where('route', '=', params.route)],
};
