import { generateId } from '../domain/ids.js';
import { formatRfc3339 } from '../domain/time.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { ACCESS_LOG_TABLE, type AccessLog } from '../kinds/access-log/access-log-table.js';
import type { ErasureOutcome } from '../sealing/subject-erasure.js';

/** The route an erasure is recorded under in the access log, whichever way it was asked for. */
export const ERASURE_ROUTE = '/v1/subjects/:subject_id';

/**
 * The access-log record of an erasure made from the command line (`sealog erase`): who erased whom,
 * as the access log records DELETE /v1/subjects/{subject_id}. `durationMs` is the erasure's time.
 */
export function erasureAccessRecord(
  outcome: ErasureOutcome,
  actor: string,
  atMs: number,
  durationMs: number,
): AccessLog {
  return {
    tenant_id: outcome.tenantId,
    id: generateId(ACCESS_LOG_TABLE.idPrefix, atMs),
    accessed_at: atMs,
    actor,
    api: 'cli',
    method: 'DELETE',
    route: ERASURE_ROUTE,
    query: JSON.stringify({ subject_id: outcome.subject }),
    row_count: Object.values(outcome.records).reduce((sum, count) => sum + count, 0),
    status: 200,
    error: '',
    ip: '',
    duration_ms: Math.round(durationMs),
  };
}

/** An erasure's outcome as the API answers it and `sealog erase --json` prints it (snake_case). */
export function erasureSummary(outcome: ErasureOutcome) {
  return {
    tenant_id: outcome.tenantId,
    subject_id: outcome.subject,
    keys_destroyed: outcome.keysDestroyed,
    records: Object.fromEntries(LOG_TABLES.map((table) => [table.table, outcome.records[table.kind] ?? 0])),
    erased_at: outcome.erasedAt === undefined ? null : formatRfc3339(outcome.erasedAt),
    scrubbed: outcome.scrubbed,
  };
}
