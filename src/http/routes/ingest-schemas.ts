import { Type, type TSchema } from 'typebox';
import { CHANNELS, DELIVERY_STATUSES } from '../../domain/records.js';
import { NullableString, SimpleResponse } from '../schemas/authms-envelope.js';
import { IDENTIFIER_PATTERN } from '../schemas/patterns.js';

/** Most records one request may carry; the body limit (BODY_LIMIT) applies as well. */
export const MAX_BATCH_RECORDS = 10_000;

const SHORT = 256;
const LONG = 65_536;

const Identifier = (description: string) =>
  Type.String({
    pattern: IDENTIFIER_PATTERN,
    description: `${description}: 1 to 128 visible ASCII characters`,
  });
const Short = (description?: string) =>
  Type.String({ maxLength: SHORT, ...(description ? { description } : {}) });
const Required = (description?: string) =>
  Type.String({ minLength: 1, maxLength: SHORT, ...(description ? { description } : {}) });
const Text = () => Type.String({ maxLength: LONG });
const Time = (description: string) =>
  Type.String({ format: 'date-time', description: `RFC 3339; ${description}` });

const identity = {
  id: Type.Optional(Identifier('kept when given (re-sending it stores nothing twice), generated otherwise')),
  tenant_id: Type.Optional(Identifier('required when the token has no tenant_id; must match it otherwise')),
};

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

export const OperateLogRecord = Type.Object(
  {
    ...identity,
    record_time: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 253_402_300_799_999, description: 'epoch ms; default now' }),
    ),
    operate_type: Required(),
    operate_content: Type.Optional(Text()),
    uid: Type.Optional(Short()),
    username: Type.Optional(Short()),
    user_id: Type.Optional(Short()),
    role: Type.Optional(Short()),
    account: Type.Optional(Short()),
    operate_geo_info: Type.Optional(Short()),
    operate_ip_info: Type.Optional(Short()),
    client_id: Type.Optional(Short()),
    merchant_code: Type.Optional(Short()),
    ext: Type.Optional(Text()),
    project_code: Type.Optional(Short()),
  },
  { additionalProperties: false },
);

/** A batch: a JSON array (or NDJSON lines) of 1..MAX_BATCH_RECORDS records. */
export function Batch<Record extends TSchema>(record: Record) {
  return Type.Array(record, { minItems: 1, maxItems: MAX_BATCH_RECORDS });
}

export const IngestResponses = {
  200: Type.Object({
    code: Type.Integer(),
    message: Type.String(),
    ids: Type.Array(Type.String(), { description: 'the id of every record, in the order sent' }),
    inserted: Type.Integer({ description: 'records stored by this request' }),
    duplicates: Type.Array(Type.String(), { description: 'ids that were stored already and were skipped' }),
    timestamp: Type.String(),
  }),
  400: SimpleResponse,
  401: SimpleResponse,
  403: SimpleResponse,
  413: SimpleResponse,
  415: SimpleResponse,
  500: SimpleResponse,
};

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
