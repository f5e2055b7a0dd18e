import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditStore } from '../../domain/audit-store.js';
import { formatRfc3339 } from '../../domain/time.js';
import type { LogKindModule } from '../../kinds/log-kind-module.js';
import { HISTOGRAM_INTERVALS, logHistogram, type HistogramInterval } from '../../kinds/log-histogram.js';
import type { LogQueryParams } from '../../kinds/log-query.js';
import { principalOf } from '../plugins/authentication.js';
import { envelope } from '../presenters.js';
import { HistogramParameters, histogramResponses } from '../schemas/histogram-schemas.js';
import { CONSOLE_TAG, logQuerystring } from '../schemas/log-query-schemas.js';

/** What the histogram routes are built with. */
export interface HistogramRouteOptions {
  store: AuditStore;
  kinds: readonly LogKindModule[];
  /** The clock, epoch ms: the default range ends now. */
  now: () => number;
}

/** `communication-log` → `CommunicationLog`, for operationIds. */
function pascal(kind: string): string {
  return kind.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}

/**
 * GET /v1/stats/{kind}/histogram for every kind: the records a console read of the kind matches
 * (its filters from the kind's query description, as GET /v1/logs/{kind}) per UTC hour or day.
 */
export const histogramRoutes: FastifyPluginAsync<HistogramRouteOptions> = (app, options) => {
  for (const { console: description } of options.kinds) {
    const { kind, timeColumn } = description.query.table;
    app.get(
      `/v1/stats/${kind}/histogram`,
      {
        schema: {
          operationId: `histogramOf${pascal(kind)}s`,
          summary: `Admin: ${kind}s per hour or day`,
          description:
            `Records per bucket of \`interval\` on ${timeColumn}, with the filters, scope and from/until of ` +
            'GET /v1/logs (admins only; tenant admins their own tenant). Exact; every bucket present.',
          tags: [CONSOLE_TAG.name],
          security: [{ bearerAuth: [] }],
          querystring: logQuerystring(description, HistogramParameters),
          response: histogramResponses(`${pascal(kind)}Histogram`),
        },
      },
      async (request: FastifyRequest) => {
        const params = request.query as LogQueryParams & { interval: HistogramInterval };
        const histogram = await logHistogram(
          options.store,
          description.query,
          principalOf(request),
          params,
          params.interval,
          options.now(),
        );
        const width = HISTOGRAM_INTERVALS[histogram.interval];
        return envelope({
          data: {
            interval: histogram.interval,
            from: formatRfc3339(histogram.fromMs),
            until: formatRfc3339(histogram.untilMs),
            buckets: histogram.counts.map((count, n) => ({
              start: formatRfc3339(histogram.fromMs + n * width),
              count,
            })),
          },
        });
      },
    );
  }
  return Promise.resolve();
};
