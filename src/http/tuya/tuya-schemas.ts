import { Type } from 'typebox';

const TuyaFailure = Type.Object(
  {
    success: Type.Boolean(),
    code: Type.Integer({ description: "Tuya's error code, e.g. 1004 sign invalid, 1010 token is expired" }),
    msg: Type.String(),
    t: Type.Integer({ description: 'server time, epoch ms' }),
    tid: Type.String({ description: 'trace id, also in the server log' }),
  },
  {
    title: 'TuyaError',
    description:
      'Tuya answers errors with HTTP 200 and success: false; 503 (code 1111) while the store does not answer',
  },
);

/** Tuya's success envelope around `result`; errors share the 200 status with `success: false`. */
function tuyaResponse<Result extends ReturnType<typeof Type.Object>>(result: Result, title: string) {
  return {
    200: Type.Union([
      Type.Object({ success: Type.Boolean(), t: Type.Integer(), result }, { title }),
      TuyaFailure,
    ]),
    503: TuyaFailure,
  };
}

export const TokenResult = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  expire_time: Type.Integer({ description: 'seconds until the access token expires' }),
  uid: Type.String(),
});

export const TokenResponses = tuyaResponse(TokenResult, 'TokenResponse');

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
export const OperateLogQuerySchema = Type.Object({
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

export const TokenQuery = Type.Object({
  grant_type: Type.Optional(Type.String({ description: 'must be 1' })),
});
export const RefreshParams = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 256 }) });
