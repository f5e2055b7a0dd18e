import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../http/plugins/authentication.js';
import { envelope, listEnvelope } from '../../http/presenters.js';
import { ingestRoute } from '../../http/routes/ingest-route.js';
import { authmsErrorResponses, SimpleResponse } from '../../http/schemas/authms-envelope.js';
import type { LogKindModule } from '../log-kind-module.js';
import { COMMUNICATION_LOG_CONSOLE } from './communication-log-query-schemas.js';
import { presentCommunicationLog, presentStatusTransition } from './communication-log-presenter.js';
import {
  AdminListQuery,
  CommunicationLogRecord,
  CommunicationLogResponse,
  DeliveryReceiptBody,
  HistoryResponses,
  ListResponses,
  LogIdParams,
  OwnListQuery,
} from './communication-log-schemas.js';
import { CommunicationLogService } from './communication-log-service.js';
import { COMMUNICATION_LOG_TABLE } from './communication-log-table.js';
import { demoCommunicationLogs } from './communication-log-demo.js';
import { DEMO_LOADER, DEMO_RECORDS_PER_KIND } from '../demo-records.js';

const security = [{ bearerAuth: [] }];

/**
 * GET /admin/communication/logs, GET /communication/logs, the delivery-status history, ingest and
 * delivery receipts.
 */
export const communicationLogRoutes: FastifyPluginAsyncTypebox<{ service: CommunicationLogService }> = async (
  app,
  { service },
) => {
  app.get(
    '/admin/communication/logs',
    {
      schema: {
        operationId: 'listCommunicationLogs',
        summary: 'Admin: any user’s communication logs',
        description: '管理员可按用户ID查询任意用户的通信日志,支持分页和渠道、状态筛选。不受用户隔离限制。',
        tags: ['通信服务'],
        security,
        querystring: AdminListQuery,
        response: ListResponses,
      },
    },
    async (request) =>
      listEnvelope(
        await service.listForAdmin(principalOf(request), request.query),
        request.query,
        presentCommunicationLog,
      ),
  );

  app.get(
    '/communication/logs',
    {
      schema: {
        operationId: 'listOwnCommunicationLogs',
        summary: 'The caller’s own communication logs (GetLogs)',
        description: 'Only logs whose user_id is the token’s sub; asking for another user_id is 403.',
        tags: ['通信服务'],
        security,
        querystring: OwnListQuery,
        response: ListResponses,
      },
    },
    async (request) =>
      listEnvelope(
        await service.listOwn(principalOf(request), request.query),
        request.query,
        presentCommunicationLog,
      ),
  );

  app.get(
    '/admin/communication/logs/:id/transitions',
    {
      schema: {
        operationId: 'listCommunicationLogTransitions',
        summary: 'Admin: the delivery-status history of one log, oldest first',
        tags: ['通信服务'],
        security,
        params: LogIdParams,
        querystring: Type.Object({ tenant_id: Type.Optional(Type.String({ minLength: 1 })) }),
        response: HistoryResponses,
      },
    },
    async (request) => {
      const history = await service.history(principalOf(request), request.params.id, request.query.tenant_id);
      return envelope({ items: history.map(presentStatusTransition) });
    },
  );

  await app.register(
    ingestRoute({
      path: '/v1/ingest/communication-logs',
      operationId: 'ingestCommunicationLogs',
      summary: 'Ingest communication logs',
      record: CommunicationLogRecord,
      ingest: (principal, records) => service.ingest(principal, records),
    }),
  );

  app.patch(
    '/v1/ingest/communication-logs/:id',
    {
      schema: {
        operationId: 'recordDeliveryReceipt',
        summary: 'Record a delivery receipt: move the status forward',
        description:
          'pending → sent → delivered | failed. The same status again changes nothing; a move backwards is 409. ' +
          'Every accepted move is kept in the log’s history.',
        tags: ['ingest'],
        security,
        params: LogIdParams,
        body: DeliveryReceiptBody,
        response: {
          200: Type.Object({
            code: Type.Integer(),
            message: Type.String(),
            data: CommunicationLogResponse,
            timestamp: Type.String(),
          }),
          ...authmsErrorResponses,
          404: SimpleResponse,
          409: SimpleResponse,
        },
      },
    },
    async (request) => {
      const log = await service.applyReceipt(principalOf(request), request.params.id, request.body);
      return envelope({ data: presentCommunicationLog(log) });
    },
  );
};

/** Communication logs in the HTTP application. */
export const communicationLogKind: LogKindModule = {
  table: COMMUNICATION_LOG_TABLE,
  console: COMMUNICATION_LOG_CONSOLE,
  tag: {
    name: '通信服务',
    description: 'Communication logs: SMS, e-mail and push messages and their delivery',
  },
  routes: ({ store, now }) => ({
    bearer: (app) => communicationLogRoutes(app, { service: new CommunicationLogService(store, now) }),
  }),
  demo: ({ store, now }) =>
    new CommunicationLogService(store, now).ingest(
      DEMO_LOADER,
      demoCommunicationLogs(now(), DEMO_RECORDS_PER_KIND),
    ),
};
