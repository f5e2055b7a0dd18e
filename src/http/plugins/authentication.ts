import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { TokenVerifier } from '../auth/token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route of the context it is added to. */
    principal: Principal | undefined;
  }
}

/**
 * Requires a verified bearer token on every route of `app`'s context. Health checks and docs live
 * outside that context, so nothing needs to opt out. Runs at onRequest: a request without a valid
 * token is refused with 401 before its parameters are looked at.
 */
export function requireBearerToken(app: FastifyInstance, verify: TokenVerifier): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    request.principal = await verify(request.headers.authorization);
  });
}

/** The verified caller of a request served behind requireBearerToken. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AuthenticationError('missing bearer token');
  return request.principal;
}
