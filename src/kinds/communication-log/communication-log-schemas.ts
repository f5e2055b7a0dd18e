import { Type } from 'typebox';
import {
  Identifier,
  identity,
  LONG,
  Required,
  SHORT,
  Short,
  Text,
  Time,
} from '../../http/schemas/ingest-schemas.js';
import { CHANNELS, DELIVERY_STATUSES } from './communication-log-table.js';
import {
  authmsErrorResponses,
  listResponse,
  NullableString,
  PageQuery,
  SimpleResponse,
  TenantQuery,
} from '../../http/schemas/authms-envelope.js';
import { QueryObject } from '../../http/schemas/query-object.js';

/** AuthMS `dto.CommunicationLogResponse`; `recipient` is always masked. */
export const CommunicationLogResponse = Type.Object(
  {
    id: Type.String({ examples: ['log_abc123'] }),
    tenant_id: Type.String({ examples: ['tnt_xyz789'] }),
    user_id: Type.String({ examples: ['usr_abc123'] }),
    channel: Type.Enum(CHANNELS, { examples: ['sms'] }),
    status: Type.Enum(DELIVERY_STATUSES, { examples: ['delivered'] }),
    recipient: Type.String({
      description: 'masked: 138****8000, a***@example.com',
      examples: ['138****8000'],
    }),
    content: Type.String({ examples: ['您的验证码是123456'] }),
    provider: Type.String({ examples: ['aliyun'] }),
    template_id: Type.String({ examples: ['tpl_abc123'] }),
    error: NullableString({ description: 'null unless the provider reported an error' }),
    response: NullableString({ description: "the provider's raw answer, null when none" }),
    sent_at: Type.String({
      description: 'RFC 3339; empty until the message was sent',
      examples: ['2026-04-15T10:01:00Z'],
    }),
    created_at: Type.String({ examples: ['2026-04-15T10:00:00Z'] }),
    updated_at: Type.String({ examples: ['2026-04-15T10:00:00Z'] }),
  },
  { title: 'dto.CommunicationLogResponse', description: '消息发送日志记录' },
);

const channel = Type.Enum(CHANNELS, { description: '发送渠道筛选:sms/email/push' });
const status = Type.Enum(DELIVERY_STATUSES, { description: '发送状态筛选:pending/sent/failed/delivered' });

export const AdminListQuery = QueryObject({
  user_id: Type.Optional(Type.String({ minLength: 1, description: '目标用户ID(不传返回全部用户的日志)' })),
  channel: Type.Optional(channel),
  status: Type.Optional(status),
  ...PageQuery,
  ...TenantQuery,
});

export const OwnListQuery = QueryObject({
  user_id: Type.Optional(Type.String({ minLength: 1, description: 'must be your own user id when given' })),
  channel: Type.Optional(channel),
  status: Type.Optional(status),
  ...PageQuery,
});

export const ListResponses = {
  200: listResponse(CommunicationLogResponse, 'dto.CommunicationLogListResponse'),
  ...authmsErrorResponses,
};

export const LogIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

const StatusTransitionItem = Type.Object({
  from_status: Type.Enum(DELIVERY_STATUSES),
  to_status: Type.Enum(DELIVERY_STATUSES),
  error: NullableString(),
  response: NullableString(),
  sent_at: Type.String(),
  changed_at: Type.String(),
});

export const HistoryResponses = {
  200: Type.Object({
    code: Type.Integer(),
    message: Type.String(),
    items: Type.Array(StatusTransitionItem),
    timestamp: Type.String(),
  }),
  ...authmsErrorResponses,
  404: SimpleResponse,
};

/** A communication log as a writer sends it (POST /v1/ingest/communication-logs). */
export const CommunicationLogRecord = Type.Object(
  {
    ...identity,
    user_id: Required(),
    channel: Type.Enum(CHANNELS),
    status: Type.Optional(Type.Enum(DELIVERY_STATUSES, { description: 'default pending' })),
    recipient: Type.String({
      minLength: 1,
      maxLength: SHORT,
      description: 'phone, e-mail or device token; stored raw, always returned masked',
    }),
    content: Type.Optional(Text()),
    provider: Type.Optional(Short()),
    template_id: Type.Optional(Short()),
    error: Type.Optional(NullableString({ maxLength: LONG })),
    response: Type.Optional(NullableString({ maxLength: LONG })),
    sent_at: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' })),
    created_at: Type.Optional(Time('default: the time sealog received it')),
    updated_at: Type.Optional(Time('default: created_at')),
  },
  { additionalProperties: false },
);

export const DeliveryReceiptBody = Type.Object(
  {
    status: Type.Enum(DELIVERY_STATUSES),
    error: Type.Optional(Type.String({ maxLength: LONG })),
    response: Type.Optional(Type.String({ maxLength: LONG })),
    sent_at: Type.Optional(Type.String({ format: 'date-time' })),
    tenant_id: Type.Optional(Identifier('required when the token has no tenant_id')),
  },
  { additionalProperties: false },
);
