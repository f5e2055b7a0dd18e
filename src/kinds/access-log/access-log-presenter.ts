import { formatRfc3339 } from '../../domain/time.js';
import { ERASED } from '../../sealing/personal-fields.js';
import type { AccessLog } from './access-log-table.js';

/** A recorded read as GET /admin/access-logs lists it: the query as an object, time RFC 3339. */
export function presentAccessLog(log: AccessLog) {
  return {
    ...log,
    // The query is sealed for the actor: once the actor is erased it reads ERASED, no JSON.
    query: log.query === ERASED ? ERASED : (JSON.parse(log.query) as Record<string, unknown>),
    accessed_at: formatRfc3339(log.accessed_at),
  };
}
