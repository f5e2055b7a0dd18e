import { Type } from 'typebox';
import { authmsErrorResponses, enveloped, TenantQuery } from '../http/schemas/authms-envelope.js';
import { QueryObject } from '../http/schemas/query-object.js';
import { MAX_REPORTS } from './purge-service.js';

export const ReportsQuery = QueryObject({
  ...TenantQuery,
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_REPORTS,
    default: 100,
    description: `reports to list, newest first (1 to ${MAX_REPORTS})`,
  }),
});

const Report = Type.Object(
  {
    run_id: Type.String(),
    tenant_id: Type.String(),
    kind: Type.String({ description: 'the kind of log, e.g. communication-log' }),
    started_at: Type.String({ description: 'RFC 3339: when the run started' }),
    cutoff: Type.String({ description: 'RFC 3339: rows older than this were expired' }),
    removed: Type.Integer({ description: 'rows removed (a dry run: rows that would be)' }),
    oldest_kept: Type.Union([Type.String(), Type.Null()], {
      description: 'RFC 3339 time of the oldest row left; null when none is',
    }),
    duration_ms: Type.Integer(),
    dry_run: Type.Boolean(),
  },
  { title: 'PurgeReport' },
);

export const ReportsResponses = {
  200: enveloped({ reports: Type.Array(Report) }, 'PurgeReports'),
  ...authmsErrorResponses,
};
