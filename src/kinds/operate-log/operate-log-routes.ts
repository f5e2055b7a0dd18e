import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { TuyaError } from '../../http/errors/tuya-errors.js';
import { ingestRoute } from '../../http/routes/ingest-route.js';
import { tuyaProjectOf } from '../../http/tuya/tuya-authentication.js';
import { tuyaSecurity } from '../../http/tuya/tuya-schemas.js';
import type { TuyaContext } from '../../http/tuya/tuya-token-routes.js';
import { OperateLogQuerySchema, OperateLogRecord, OperateLogResponses } from './operate-log-schemas.js';
import type { LogKindModule } from '../log-kind-module.js';
import { OPERATE_LOG_CONSOLE } from './operate-log-query-schemas.js';
import { OPERATE_LOG_TABLE } from './operate-log-table.js';
import { OperateLogService } from './operate-log-service.js';
import { demoOperateLogs } from './operate-log-demo.js';
import { DEMO_LOADER, DEMO_RECORDS_PER_KIND } from '../demo-records.js';

/** GET /v1.0/iot-03/audit/operate-logs, in the Tuya API's context. */
export function operateLogTuyaRoutes(
  service: OperateLogService,
): FastifyPluginAsyncTypebox<{ tuya: TuyaContext }> {
  return (app, { tuya }) => {
    app.get(
      '/v1.0/iot-03/audit/operate-logs',
      {
        onRequest: tuya.verify('business'),
        preValidation: flattenReqParameter,
        schema: {
          operationId: 'listOperateLogs',
          summary: 'Tuya: list operate logs (cursor paging, fuzzy search)',
          description:
            'Newest first by (record_time, id). Page with last_row_key, or last_id + last_record_time, from ' +
            "the previous page's last row. key_words matches a substring of operate_content.",
          tags: ['Tuya'],
          security: tuyaSecurity('business'),
          querystring: OperateLogQuerySchema,
          response: OperateLogResponses,
        },
      },
      tuya.handle(async (request) => {
        const page = await service.page(tuyaProjectOf(request).tenantId, request.query);
        return tuya.success({ list: page.rows, has_more: page.hasMore, last_row_key: page.lastRowKey ?? '' });
      }),
    );
    return Promise.resolve();
  };
}

/** POST /v1/ingest/operate-logs, behind the bearer token. */
export function operateLogIngestRoutes(service: OperateLogService): FastifyPluginAsyncTypebox {
  return ingestRoute({
    path: '/v1/ingest/operate-logs',
    operationId: 'ingestOperateLogs',
    summary: 'Ingest operate logs (served by the Tuya-compatible API)',
    note: 'record_time is epoch milliseconds.',
    record: OperateLogRecord,
    ingest: (principal, records) => service.ingest(principal, records),
  });
}

/**
 * The seed documents the parameters inside a `req` object. Flattened parameters are the norm;
 * `req[size]=20` (as qs writes a nested object) and `req={"size":20}` are accepted too.
 */
function flattenReqParameter(request: FastifyRequest): Promise<void> {
  const flattened: Record<string, unknown> = {};
  let reqJson: unknown;
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    const nested = /^req\[(\w+)\]$/.exec(name)?.[1];
    if (name === 'req') reqJson = value;
    else if (nested !== undefined) flattened[nested] ??= value;
    else flattened[name] = value;
  }
  if (typeof reqJson === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(reqJson);
    } catch {
      throw new TuyaError('paramIllegal', 'req must be a JSON object, or send its fields as parameters');
    }
    if (typeof parsed === 'object' && parsed !== null) {
      for (const [name, value] of Object.entries(parsed)) {
        flattened[name] ??= typeof value === 'number' ? String(value) : value;
      }
    }
  }
  request.query = flattened;
  return Promise.resolve();
}

/** Operate logs in the HTTP application: ingest behind the bearer token, reads through the Tuya API. */
export const operateLogKind: LogKindModule = {
  table: OPERATE_LOG_TABLE,
  console: OPERATE_LOG_CONSOLE,
  tag: { name: 'Tuya', description: 'The Tuya-compatible API: tokens and operate logs (signed requests)' },
  routes: ({ store, now }) => {
    const service = new OperateLogService(store, now);
    return { bearer: operateLogIngestRoutes(service), tuya: operateLogTuyaRoutes(service) };
  },
  demo: ({ store, now }) =>
    new OperateLogService(store, now).ingest(DEMO_LOADER, demoOperateLogs(now(), DEMO_RECORDS_PER_KIND)),
};
