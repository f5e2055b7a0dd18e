import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../http/plugins/authentication.js';
import { listEnvelope } from '../../http/presenters.js';
import { ingestRoute } from '../../http/routes/ingest-route.js';
import {
  authmsErrorResponses,
  listResponse,
  PageQuery,
  TenantQuery,
} from '../../http/schemas/authms-envelope.js';
import { identity, Required, Short, Text, Time } from '../../http/schemas/ingest-schemas.js';
import { DATE_PATTERN } from '../../http/schemas/patterns.js';
import { QueryObject } from '../../http/schemas/query-object.js';
import type { LogKindModule } from '../log-kind-module.js';
import { MfaConfigAuditLogItem, presentMfaConfigAuditLog } from './mfa-config-audit-log-presenter.js';
import { MFA_CONFIG_AUDIT_LOG_CONSOLE } from './mfa-config-audit-log-query-schemas.js';
import { MfaConfigAuditLogService } from './mfa-config-audit-log-service.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from './mfa-config-audit-log-table.js';
import { demoMfaConfigAuditLogs } from './mfa-config-audit-log-demo.js';
import { DEMO_LOADER, DEMO_RECORDS_PER_KIND } from '../demo-records.js';

const DATE = { pattern: DATE_PATTERN, description: 'a date as YYYY-MM-DD (UTC)' };

const ListQuery = QueryObject({
  action: Type.Optional(Type.String({ minLength: 1, description: '操作类型过滤' })),
  target_type: Type.Optional(Type.String({ minLength: 1, description: '目标类型过滤' })),
  operator_id: Type.Optional(Type.String({ minLength: 1, description: '操作者ID过滤' })),
  start_date: Type.Optional(
    Type.String({ ...DATE, description: `开始日期(YYYY-MM-DD), inclusive; ${DATE.description}` }),
  ),
  end_date: Type.Optional(
    Type.String({ ...DATE, description: `结束日期(YYYY-MM-DD), inclusive; ${DATE.description}` }),
  ),
  ...PageQuery,
  ...TenantQuery,
});

/** An MFA audit log as a writer sends it (POST /v1/ingest/mfa-config-audit-logs). */
export const MfaConfigAuditLogRecord = Type.Object(
  {
    ...identity,
    action: Required('e.g. mfa_totp.enabled'),
    target_type: Required('e.g. mfa_totp'),
    target_id: Type.Optional(Short()),
    operator_id: Required(),
    module: Type.Optional(Short()),
    message: Type.Optional(Text()),
    timestamp: Type.Optional(Time('default: the time sealog received it')),
  },
  { additionalProperties: false },
);

/** GET /admin/mfa/config-audit-logs, and ingest. */
export const mfaConfigAuditLogRoutes: FastifyPluginAsyncTypebox<{
  service: MfaConfigAuditLogService;
}> = async (app, { service }) => {
  app.get(
    '/admin/mfa/config-audit-logs',
    {
      schema: {
        operationId: 'listMfaConfigAuditLogs',
        summary: 'Admin: MFA configuration change audit logs',
        description:
          '查询MFA配置变更的审计日志,支持按操作类型、目标类型、操作者、日期范围筛选。需要管理员权限。',
        tags: ['MFA'],
        security: [{ bearerAuth: [] }],
        querystring: ListQuery,
        response: {
          200: listResponse(MfaConfigAuditLogItem, 'dto.MFAConfigAuditLogListResponse'),
          ...authmsErrorResponses,
        },
      },
    },
    async (request) =>
      listEnvelope(
        await service.list(principalOf(request), request.query),
        request.query,
        presentMfaConfigAuditLog,
      ),
  );

  await app.register(
    ingestRoute({
      path: '/v1/ingest/mfa-config-audit-logs',
      operationId: 'ingestMfaConfigAuditLogs',
      summary: 'Ingest MFA configuration audit logs',
      record: MfaConfigAuditLogRecord,
      ingest: (principal, records) => service.ingest(principal, records),
    }),
  );
};

/** MFA configuration audit logs in the HTTP application. */
export const mfaConfigAuditLogKind: LogKindModule = {
  table: MFA_CONFIG_AUDIT_LOG_TABLE,
  console: MFA_CONFIG_AUDIT_LOG_CONSOLE,
  tag: { name: 'MFA', description: 'Who changed which MFA setting' },
  routes: ({ store, now }) => ({
    bearer: (app) => mfaConfigAuditLogRoutes(app, { service: new MfaConfigAuditLogService(store, now) }),
  }),
  demo: ({ store, now }) =>
    new MfaConfigAuditLogService(store, now).ingest(
      DEMO_LOADER,
      demoMfaConfigAuditLogs(now(), DEMO_RECORDS_PER_KIND),
    ),
};
