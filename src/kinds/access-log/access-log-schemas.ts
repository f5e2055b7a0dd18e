import { Type } from 'typebox';
import { authmsErrorResponses, TenantQuery } from '../../http/schemas/authms-envelope.js';
import { QueryObject } from '../../http/schemas/query-object.js';

/** One recorded read, as GET /admin/access-logs lists it. */
export const AccessLogItem = Type.Object(
  {
    id: Type.String({ examples: ['acc_019a2b3c4d5e6f7a8b9c0d1e2f'] }),
    tenant_id: Type.String({ description: "the tenant the read was scoped to; '' for every tenant" }),
    actor: Type.String({ description: 'the token’s sub, or the Tuya client_id', examples: ['usr_admin'] }),
    api: Type.Union([Type.Literal('authms'), Type.Literal('tuya'), Type.Literal('cli')], {
      description: 'the API the request came through; cli: a sealog command (sealog erase)',
    }),
    method: Type.String({ examples: ['GET'] }),
    route: Type.String({ examples: ['/admin/communication/logs'] }),
    query: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Literal('[erased]')], {
      description:
        'the query parameters the read was answered with, and the path parameters of a change (secrets never); ' +
        '[erased] once the actor was erased',
    }),
    row_count: Type.Integer({ description: 'log rows the answer carried' }),
    status: Type.Integer({ description: 'HTTP status of the answer' }),
    error: Type.String({ description: "'' when the read succeeded, else the error it was answered with" }),
    ip: Type.String(),
    duration_ms: Type.Integer(),
    accessed_at: Type.String({ description: 'RFC 3339', examples: ['2026-05-15T10:00:00.123Z'] }),
  },
  { title: 'AccessLogItem' },
);

const TIME = { format: 'date-time' } as const;

export const AccessLogQuerySchema = QueryObject({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'only this actor’s reads' })),
  route: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'only reads of this route, e.g. /admin/mfa/config-audit-logs',
    }),
  ),
  start_time: Type.Optional(Type.String({ ...TIME, description: 'RFC 3339, inclusive' })),
  end_time: Type.Optional(Type.String({ ...TIME, description: 'RFC 3339, exclusive' })),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'entries per page (1 to 100)' }),
  last_row_key: Type.Optional(
    Type.String({ maxLength: 512, description: 'last_row_key of the previous page' }),
  ),
  ...TenantQuery,
});

export const AccessLogResponses = {
  200: Type.Object(
    {
      code: Type.Integer(),
      message: Type.String(),
      items: Type.Array(AccessLogItem),
      has_more: Type.Boolean(),
      last_row_key: Type.String({
        description: "send it back as last_row_key for the next page; '' when empty",
      }),
      timestamp: Type.String(),
    },
    { title: 'AccessLogPage' },
  ),
  ...authmsErrorResponses,
};
