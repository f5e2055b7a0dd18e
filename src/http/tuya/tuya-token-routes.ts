import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createTuyaVerifier, tuyaProjectOf, type TuyaVerifierOptions } from './tuya-authentication.js';
import { TuyaError } from '../errors/tuya-errors.js';
import { RefreshParams, TokenQuery, TokenResponses } from './tuya-schemas.js';

/** What a route of the Tuya API is given: the signature check and Tuya's success envelope. */
export interface TuyaContext {
  /** The onRequest hook verifying a signed `token` call or a `business` call (with an access token). */
  verify: (kind: 'token' | 'business') => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Tuya's success envelope around `result`. */
  success: <Result>(result: Result) => { success: boolean; t: number; result: Result };
}

export interface TuyaApiOptions extends TuyaVerifierOptions {
  /** Installs hooks on every request of the API before its routes (the kinds' hooks). */
  hooks: (app: FastifyInstance) => void;
  /** The business routes of the log kinds Tuya serves (the operate-log query). */
  business: readonly FastifyPluginAsyncTypebox<{ tuya: TuyaContext }>[];
}

/** The headers every signed request carries, for the routes' descriptions. */
export const SIGNED_HEADERS =
  'client_id, sign, t, sign_method, access_token (business calls), optional nonce';

/**
 * The Tuya-compatible API: token issue and refresh, and the business routes of the kinds it
 * serves. Answers in Tuya's envelope, errors included (HTTP 200, `success: false`; see
 * errorReply), so Tuya's official SDKs work unchanged.
 */
export const tuyaApi: FastifyPluginAsyncTypebox<TuyaApiOptions> = async (app, options) => {
  app.decorateRequest('tuyaProject', undefined);
  options.hooks(app);
  const verify = createTuyaVerifier(options);
  const success = <Result>(result: Result) => ({ success: true, t: options.now(), result });
  for (const routes of options.business) await app.register(routes, { tuya: { verify, success } });

  app.get(
    '/v1.0/token',
    {
      onRequest: verify('token'),
      schema: {
        summary: 'Tuya: get an access token (grant_type=1)',
        description: `Signed request (${SIGNED_HEADERS}); the access token expires after TUYA_TOKEN_TTL seconds.`,
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
};
