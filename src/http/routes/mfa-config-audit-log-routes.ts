import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MfaConfigAuditLogService } from '../../domain/mfa-config-audit-logs.js';
import { principalOf } from '../plugins/authentication.js';
import { listEnvelope, presentMfaConfigAuditLog } from '../presenters.js';
import { DATE_PATTERN } from '../schemas/patterns.js';
import { authmsErrorResponses, listResponse, PageQuery, TenantQuery } from '../schemas/authms-envelope.js';

/** AuthMS `dto.MFAConfigAuditLogItem`. */
const MfaConfigAuditLogItem = Type.Object(
  {
    id: Type.String({ examples: ['log_abc123'] }),
    tenant_id: Type.String({ examples: ['tnt_001'] }),
    action: Type.String({ examples: ['mfa_totp.enabled'] }),
    target_type: Type.String({ examples: ['mfa_totp'] }),
    target_id: Type.String({ examples: ['mfa_abc123'] }),
    operator_id: Type.String({ examples: ['usr_admin'] }),
    module: Type.String({ examples: ['data'] }),
    message: Type.String({ examples: ['TOTP enabled successfully'] }),
    timestamp: Type.String({ examples: ['2026-05-15T10:00:00Z'] }),
  },
  { title: 'dto.MFAConfigAuditLogItem' },
);

const DATE = { pattern: DATE_PATTERN, description: 'a date as YYYY-MM-DD (UTC)' };

const ListQuery = Type.Object({
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

/** GET /admin/mfa/config-audit-logs. */
export const mfaConfigAuditLogRoutes: FastifyPluginAsyncTypebox<{ service: MfaConfigAuditLogService }> = (
  app,
  { service },
) => {
  app.get(
    '/admin/mfa/config-audit-logs',
    {
      schema: {
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
  return Promise.resolve();
};
