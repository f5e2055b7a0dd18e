import { Type } from 'typebox';

const signedHeader = (name: string, description: string) =>
  ({ type: 'apiKey', in: 'header', name, description }) as const;

/**
 * The signed headers of a Tuya request as OpenAPI security schemes, one per header (see
 * tuya-authentication.ts); a request carries them together (tuyaSecurity).
 */
export const TUYA_SECURITY_SCHEMES = {
  tuyaClientId: signedHeader('client_id', 'Tuya: the cloud project’s client id (TUYA_CLIENTS)'),
  tuyaSign: signedHeader(
    'sign',
    'Tuya: upper-case hex HMAC-SHA256, with the project’s secret, of client_id + access_token (business ' +
      'calls) + t + nonce + stringToSign (method, SHA-256 of the body, signed headers, URL); see ' +
      'docs/tuya-protocol.md',
  ),
  tuyaTimestamp: signedHeader('t', 'Tuya: the current time in epoch milliseconds (13 digits)'),
  tuyaSignMethod: signedHeader('sign_method', 'Tuya: HMAC-SHA256, the only method (assumed when absent)'),
  tuyaNonce: signedHeader(
    'nonce',
    'Tuya, optional: a value never sent before (e.g. a UUID), part of what is signed; a replay is refused',
  ),
  tuyaAccessToken: signedHeader('access_token', 'Tuya, business calls: the access token from /v1.0/token'),
} as const;

type TuyaSchemeName = keyof typeof TUYA_SECURITY_SCHEMES;

/**
 * The security of a Tuya route: the signed headers all together, with or without the optional
 * nonce (OpenAPI's way to say a credential is optional); `business` calls add the access token.
 */
export function tuyaSecurity(kind: 'token' | 'business'): Partial<Record<TuyaSchemeName, []>>[] {
  const signed: Partial<Record<TuyaSchemeName, []>> = {
    tuyaClientId: [],
    tuyaSign: [],
    tuyaTimestamp: [],
    tuyaSignMethod: [],
    ...(kind === 'business' ? { tuyaAccessToken: [] } : {}),
  };
  return [signed, { ...signed, tuyaNonce: [] }];
}

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
