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
export function tuyaResponse<Result extends ReturnType<typeof Type.Object>>(result: Result, title: string) {
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

export const TokenQuery = Type.Object({
  grant_type: Type.Optional(Type.String({ description: 'must be 1' })),
});
export const RefreshParams = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 256 }) });
