import { logTable } from '../log-table.js';

/** The API a request came through; `cli` for a sealog command that changes data (sealog erase). */
export type AccessApi = 'authms' | 'tuya' | 'cli';

/**
 * One read of sealog's logs: who asked which route with what, and what came back. Recorded by
 * sealog itself for every authenticated read of the admin, user and Tuya APIs.
 */
export interface AccessLog {
  /** The tenant the read was scoped to; '' for a platform admin's read of every tenant. */
  tenant_id: string;
  id: string;
  /** Epoch ms when the answer was sent. */
  accessed_at: number;
  /** The token's `sub`, or the Tuya project's client_id. */
  actor: string;
  api: AccessApi;
  method: string;
  /** The route as declared, e.g. `/admin/communication/logs/:id/transitions` (no path values). */
  route: string;
  /** The query parameters as a JSON object, secrets removed. */
  query: string;
  /** Log rows the answer carried. */
  row_count: number;
  /** HTTP status of the answer. */
  status: number;
  /** '' when the read succeeded; otherwise the error message it was answered with. */
  error: string;
  /** The client's address as the server saw it (behind a proxy: the proxy's, unless trusted). */
  ip: string;
  /** Time from request to answer, ms. */
  duration_ms: number;
}

export const ACCESS_LOG_TABLE = logTable<AccessLog>({
  kind: 'access-log',
  table: 'access_logs',
  columns: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['accessed_at', 'bigint'],
    ['actor', 'text'],
    ['api', 'text'],
    ['method', 'text'],
    ['route', 'text'],
    ['query', 'text'],
    ['row_count', 'bigint'],
    ['status', 'bigint'],
    ['error', 'text'],
    ['ip', 'text'],
    ['duration_ms', 'bigint'],
  ],
  timeColumn: 'accessed_at',
  keysTable: 'access_log_keys',
  idPrefix: 'acc_',
  retention: { defaultPeriod: '365d' },
  // Routes are the ones sealog declares; actors are many and counted row by row.
  volume: { table: 'access_log_volume', dimensions: ['route'] },
  // The reader is the person whose trail an access record is; a user named inside `query` is
  // forgotten with the actor's key or by retention, not by that user's erasure.
  sealing: { sealed: ['query', 'ip'], subject: 'actor' },
});

/** The columns GET /admin/access-logs filters on, each with its own index (see the migrations). */
export const ACCESS_LOG_FILTERS = [['actor'], ['route']] as const;
