import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CommunicationLogService } from '../../domain/communication-logs.js';
import { principalOf } from '../plugins/authentication.js';
import { envelope, listEnvelope, presentCommunicationLog, presentStatusTransition } from '../presenters.js';
import { Type } from 'typebox';
import {
  AdminListQuery,
  HistoryResponses,
  ListResponses,
  LogIdParams,
  OwnListQuery,
} from './communication-log-schemas.js';

const security = [{ bearerAuth: [] }];

/** GET /admin/communication/logs, GET /communication/logs and the delivery-status history. */
export const communicationLogRoutes: FastifyPluginAsyncTypebox<{ service: CommunicationLogService }> = (
  app,
  { service },
) => {
  app.get(
    '/admin/communication/logs',
    {
      schema: {
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
  return Promise.resolve();
};
