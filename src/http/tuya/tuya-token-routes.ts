import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../plugins/error-replies.js';
import {
  createTuyaVerifier,
  settleNonce,
  tuyaProjectOf,
  type TuyaVerifierOptions,
} from './tuya-authentication.js';
import { TuyaError } from '../errors/tuya-errors.js';
import { RefreshParams, TokenQuery, TokenResponses, tuyaSecurity } from './tuya-schemas.js';

/** What a route of the Tuya API is given: the signature check and Tuya's success envelope. */
export interface TuyaContext {
  /** The onRequest hook verifying a signed `token` call or a `business` call (with an access token). */
  verify: (kind: 'token' | 'business') => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Tuya's success envelope around `result`. */
  success: <Result>(result: Result) => { success: boolean; t: number; result: Result };
  /**
   * Wraps a business route's handler: its answer goes out once the request's nonce is known to be
   * fresh (the check runs alongside the handler; see settleNonce).
   */
  handle: <Request extends FastifyRequest, Result>(
    handler: (request: Request) => Promise<Result>,
  ) => (request: Request) => Promise<Result>;
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
  app.decorateRequest('tuyaNonceVerdict', undefined);
  // An error answer waits for the nonce verdict too: a replay gets the replay error, whatever else failed.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    let answer: Error = error;
    try {
      await settleNonce(request);
    } catch (nonceError) {
      answer = nonceError as Error;
    }
    sendError(answer, request, reply);
  });
  options.hooks(app);
  const verify = createTuyaVerifier(options);
  const success = <Result>(result: Result) => ({ success: true, t: options.now(), result });
  const handle: TuyaContext['handle'] = (handler) => async (request) => {
    const [outcome, nonce] = await Promise.allSettled([handler(request), settleNonce(request)]);
    // Either failure goes to the error handler, which puts a replay first.
    if (nonce.status === 'rejected') throw nonce.reason;
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  };
  for (const routes of options.business) await app.register(routes, { tuya: { verify, success, handle } });

  app.get(
    '/v1.0/token',
    {
      onRequest: verify('token'),
      schema: {
        operationId: 'getTuyaToken',
        summary: 'Tuya: get an access token (grant_type=1)',
        description: `Signed request (${SIGNED_HEADERS}); the access token expires after TUYA_TOKEN_TTL seconds.`,
        tags: ['Tuya'],
        security: tuyaSecurity('token'),
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
        operationId: 'refreshTuyaToken',
        summary: 'Tuya: refresh a token pair',
        description: 'Rotates both tokens; the old ones stop working. A refresh token works once.',
        tags: ['Tuya'],
        security: tuyaSecurity('token'),
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
