import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TuyaProject } from '../../config.js';
import type { OperateLogService } from '../../domain/operate-logs.js';
import type { TuyaSessionService } from '../../domain/tuya-sessions.js';
import { createTuyaVerifier, tuyaProjectOf } from './tuya-authentication.js';
import { TuyaError } from '../errors/tuya-errors.js';
import {
  OperateLogQuerySchema,
  OperateLogResponses,
  RefreshParams,
  TokenQuery,
  TokenResponses,
} from './tuya-schemas.js';

export interface TuyaRouteOptions {
  projects: ReadonlyMap<string, TuyaProject>;
  sessions: TuyaSessionService;
  operateLogs: OperateLogService;
  signWindowSeconds: number;
  now: () => number;
}

const signedHeaders = 'client_id, sign, t, sign_method, access_token (business calls), optional nonce';

/**
 * The Tuya-compatible API: token issue and refresh, and the operate-log query. Answers in Tuya's
 * envelope, errors included (HTTP 200, `success: false`; see errorReply), so Tuya's official SDKs
 * work unchanged.
 */
export const tuyaRoutes: FastifyPluginAsyncTypebox<TuyaRouteOptions> = (app, options) => {
  app.decorateRequest('tuyaProject', undefined);
  const verify = createTuyaVerifier(options);
  const success = <Result>(result: Result) => ({ success: true, t: options.now(), result });

  app.get(
    '/v1.0/token',
    {
      onRequest: verify('token'),
      schema: {
        summary: 'Tuya: get an access token (grant_type=1)',
        description: `Signed request (${signedHeaders}); the access token expires after TUYA_TOKEN_TTL seconds.`,
        tags: ['Tuya'],
        querystring: TokenQuery,
        response: TokenResponses,
      },
    },
    async (request) => {
      if (request.query.grant_type !== '1') throw new TuyaError('grantTypeInvalid', 'grant_type must be 1');
      return success(await options.sessions.issue(tuyaProjectOf(request)));
    },
  );

  app.get(
    '/v1.0/token/:refresh_token',
    {
      onRequest: verify('token'),
      schema: {
        summary: 'Tuya: refresh a token pair',
        description: 'Rotates both tokens; the old ones stop working. A refresh token works once.',
        tags: ['Tuya'],
        params: RefreshParams,
        response: TokenResponses,
      },
    },
    async (request) => {
      const tokens = await options.sessions.refresh(tuyaProjectOf(request), request.params.refresh_token);
      if (tokens === undefined)
        throw new TuyaError('tokenInvalid', 'the refresh token is unknown, used or expired');
      return success(tokens);
    },
  );

  app.get(
    '/v1.0/iot-03/audit/operate-logs',
    {
      onRequest: verify('business'),
      preValidation: flattenReqParameter,
      schema: {
        summary: 'Tuya: list operate logs (cursor paging, fuzzy search)',
        description:
          'Newest first by (record_time, id). Page with last_row_key, or last_id + last_record_time, from ' +
          "the previous page's last row. key_words matches a substring of operate_content.",
        tags: ['Tuya'],
        querystring: OperateLogQuerySchema,
        response: OperateLogResponses,
      },
    },
    async (request) => {
      const page = await options.operateLogs.page(tuyaProjectOf(request).tenantId, request.query);
      return success({ list: page.list, has_more: page.has_more, last_row_key: page.last_row_key ?? '' });
    },
  );
  return Promise.resolve();
};

/**
 * The seed documents the parameters inside a `req` object. Flattened parameters are the norm;
 * `req[size]=20` (as qs writes a nested object) and `req={"size":20}` are accepted too.
 */
function flattenReqParameter(request: FastifyRequest): Promise<void> {
  const flattened: Record<string, unknown> = {};
  let reqJson: unknown;
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    const nested = /^req\[(\w+)\]$/.exec(name)?.[1];
    if (name === 'req') reqJson = value;
    else if (nested !== undefined) flattened[nested] ??= value;
    else flattened[name] = value;
  }
  if (typeof reqJson === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(reqJson);
    } catch {
      throw new TuyaError('paramIllegal', 'req must be a JSON object, or send its fields as parameters');
    }
    if (typeof parsed === 'object' && parsed !== null) {
      for (const [name, value] of Object.entries(parsed)) {
        flattened[name] ??= typeof value === 'number' ? String(value) : value;
      }
    }
  }
  request.query = flattened;
  return Promise.resolve();
}
