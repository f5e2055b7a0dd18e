import { Type } from 'typebox';
import { CHANNELS, DELIVERY_STATUSES } from '../../domain/records.js';
import {
  authmsErrorResponses,
  listResponse,
  NullableString,
  PageQuery,
  SimpleResponse,
  TenantQuery,
} from '../schemas/authms-envelope.js';

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

export const AdminListQuery = Type.Object({
  user_id: Type.Optional(Type.String({ minLength: 1, description: '目标用户ID(不传返回全部用户的日志)' })),
  channel: Type.Optional(channel),
  status: Type.Optional(status),
  ...PageQuery,
  ...TenantQuery,
});

export const OwnListQuery = Type.Object({
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
