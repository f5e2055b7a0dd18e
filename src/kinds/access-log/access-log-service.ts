import type { AuditStore } from '../../domain/audit-store.js';
import { where } from '../../domain/conditions.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { cursorPage, decodeRowKey, type CursorPage } from '../../domain/row-key.js';
import { adminReadScope } from '../../domain/tenancy.js';
import { parseTimeParameter } from '../../domain/time.js';
import { ACCESS_LOG_TABLE, type AccessLog } from './access-log-table.js';

/** Filters and cursor of GET /admin/access-logs; validated by schema already. */
export interface AccessLogQuery {
  tenant_id?: string | undefined;
  actor?: string | undefined;
  route?: string | undefined;
  /** RFC 3339, inclusive. */
  start_time?: string | undefined;
  /** RFC 3339, exclusive. */
  end_time?: string | undefined;
  size: number;
  last_row_key?: string | undefined;
}

/** Who read what: admins list their tenant's reads, platform admins every tenant's or one's. */
export class AccessLogService {
  constructor(private readonly store: AuditStore) {}

  /**
   * A page of the reads in the caller's scope, newest first by (accessed_at, id), after
   * `last_row_key`. Fetches one row more than asked to learn has_more without counting.
   */
  async list(principal: Principal, query: AccessLogQuery): Promise<CursorPage<AccessLog>> {
    const scope = adminReadScope(principal, query.tenant_id);
    const fromMs = parseTimeParameter('start_time', query.start_time);
    const untilMs = parseTimeParameter('end_time', query.end_time);
    if (fromMs !== undefined && untilMs !== undefined && fromMs > untilMs) {
      throw new InvalidInputError('start_time must not be later than end_time');
    }
    const time = ACCESS_LOG_TABLE.timeColumn;
    const rows = await this.store
      .rows(ACCESS_LOG_TABLE)
      .page(
        [
          where('tenant_id', '=', scope.tenantId),
          where('actor', '=', query.actor),
          where('route', '=', query.route),
          where(time, '>=', fromMs),
          where(time, '<', untilMs),
        ],
        query.last_row_key === undefined ? undefined : decodeRowKey(query.last_row_key),
        query.size + 1,
      );
    return cursorPage(rows, query.size, (row) => row.accessed_at);
  }
}
