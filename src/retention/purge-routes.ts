import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { formatRfc3339 } from '../domain/time.js';
import { principalOf } from '../http/plugins/authentication.js';
import { envelope } from '../http/presenters.js';
import type { PurgeReport } from './purge-store.js';
import type { PurgeService } from './purge-service.js';
import { ReportsQuery, ReportsResponses } from './purge-schemas.js';
import { RETENTION_TAG } from './retention-routes.js';

/** GET /v1/retention/reports. */
export const purgeRoutes: FastifyPluginAsyncTypebox<{ service: PurgeService }> = (app, { service }) => {
  app.get(
    '/v1/retention/reports',
    {
      schema: {
        tags: [RETENTION_TAG.name],
        security: [{ bearerAuth: [] }],
        operationId: 'listPurgeReports',
        summary: 'Admin: what retention purges removed',
        description:
          'One report per run, tenant and kind, newest first: rows removed, the cutoff, the oldest row kept, ' +
          'the time taken. Purges run every PURGE_INTERVAL and on `sealog purge`. Tenant admins see their ' +
          'tenant’s; platform admins every tenant’s, or one’s with tenant_id.',
        querystring: ReportsQuery,
        response: ReportsResponses,
      },
    },
    async (request) => {
      const { tenant_id: tenantId, limit } = request.query;
      const reports = await service.reports(principalOf(request), tenantId, limit);
      return envelope({ reports: reports.map(present) });
    },
  );
  return Promise.resolve();
};

function present(report: PurgeReport) {
  return {
    run_id: report.runId,
    tenant_id: report.tenantId,
    kind: report.kind,
    started_at: formatRfc3339(report.startedAt),
    cutoff: formatRfc3339(report.cutoff),
    removed: report.removed,
    oldest_kept: report.oldestKept === undefined ? null : formatRfc3339(report.oldestKept),
    duration_ms: report.durationMs,
    dry_run: report.dryRun,
  };
}
