import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import { changesState, hasSessionCookie, requireOwnOrigin, sessionIdOf } from '../console/session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route of the context it is added to. */
    principal: Principal | undefined;
  }
}

/** Finds the principal of a console session id; undefined once the session ended or expired. */
export type SessionAuthenticator = (sessionId: string) => Promise<Principal | undefined>;

/**
 * Requires a verified bearer token on every route of `app`'s context, or, without an Authorization
 * header, the console's session cookie (when `sessions` is given): either way the request gets
 * the same Principal, so every authorization rule and the access log treat both alike. An
 * Authorization header always wins over the cookie. A cookie-authenticated request that changes
 * something must carry the server's own Origin (403 otherwise): the cookie alone proves nothing of
 * which page sent it. Health checks and docs live outside that context, so nothing needs to opt
 * out. Runs at onRequest: a request without a valid credential is refused with 401 before its
 * parameters are looked at.
 */
export function requireBearerToken(
  app: FastifyInstance,
  verify: TokenVerifier,
  sessions?: SessionAuthenticator,
): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (sessions === undefined || authorization !== undefined || !hasSessionCookie(request)) {
      request.principal = await verify(authorization);
      return;
    }
    if (changesState(request)) requireOwnOrigin(request, true);
    const sessionId = sessionIdOf(request);
    const principal = sessionId === undefined ? undefined : await sessions(sessionId);
    if (principal === undefined) {
      throw new AuthenticationError('the console session ended or expired: sign in again');
    }
    request.principal = principal;
  });
}

/** The verified caller of a request served behind requireBearerToken. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AuthenticationError('missing bearer token');
  return request.principal;
}
