import { Type } from 'typebox';
import { identity, Required, Short, Text } from '../../http/schemas/ingest-schemas.js';
import { QueryObject } from '../../http/schemas/query-object.js';
import { tuyaResponse } from '../../http/tuya/tuya-schemas.js';

export const OperateLogItem = Type.Object({
  id: Type.String({ description: 'The log number.' }),
  record_time: Type.Integer({ description: 'The logging time (epoch ms).' }),
  uid: Type.String(),
  username: Type.String(),
  operate_type: Type.String(),
  operate_content: Type.String(),
  user_id: Type.String(),
  role: Type.String(),
  account: Type.String(),
  operate_geo_info: Type.String(),
  operate_ip_info: Type.String(),
  client_id: Type.String(),
  merchant_code: Type.String(),
  ext: Type.String(),
  project_code: Type.String(),
});

export const OperateLogResponses = tuyaResponse(
  Type.Object({
    list: Type.Array(OperateLogItem),
    has_more: Type.Boolean(),
    last_row_key: Type.String({ description: 'opaque key of the last row; send it back as last_row_key' }),
  }),
  'CursorPage',
);

const EpochMs = (description: string) =>
  Type.Integer({ minimum: 0, maximum: 253_402_300_799_999, description: `${description} (epoch ms)` });

/** The seed's `req` (AuditLogPageReq), flattened into query parameters. */
export const OperateLogQuerySchema = QueryObject({
  start_time: Type.Optional(EpochMs('The start time, inclusive')),
  end_time: Type.Optional(EpochMs('The end time, inclusive')),
  operate_type: Type.Optional(Type.String({ maxLength: 256, description: 'The operation type (exact).' })),
  key_words: Type.Optional(
    Type.String({
      maxLength: 256,
      description: 'Substring of operate_content; case-insensitive for Latin letters.',
    }),
  ),
  last_id: Type.Optional(
    Type.String({ maxLength: 128, description: 'id of the last row of the previous page' }),
  ),
  last_record_time: Type.Optional(EpochMs('record_time of the last row of the previous page')),
  last_row_key: Type.Optional(
    Type.String({ maxLength: 512, description: 'last_row_key of the previous page' }),
  ),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Entries per page (1 to 100).' }),
  merchant_code: Type.Optional(
    Type.String({ maxLength: 256, description: 'The code of a merchant (exact).' }),
  ),
  ext: Type.Optional(
    Type.String({ maxLength: 256, description: 'The extension field (accepted, not a filter).' }),
  ),
});

/** An operate log as a writer sends it (POST /v1/ingest/operate-logs). */
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
