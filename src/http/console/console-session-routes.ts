import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { ActiveSession, ConsoleSessionService, SignedIn } from '../../domain/console-sessions.js';
import { consoleTenants, type TenantLogs } from '../../domain/console-tenants.js';
import { AuthenticationError, InvalidInputError } from '../../domain/errors.js';
import { formatRfc3339 } from '../../domain/time.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import { principalOf } from '../plugins/authentication.js';
import { envelope } from '../presenters.js';
import { CONSOLE_TAG } from '../schemas/log-query-schemas.js';
import {
  SessionResponses,
  SignInBody,
  SignOutResponses,
  TenantsResponses,
} from './console-session-schemas.js';
import {
  clearSessionCookie,
  hasSessionCookie,
  requireOwnOrigin,
  sessionIdOf,
  setSessionCookie,
} from './session-cookie.js';

const common = { tags: [CONSOLE_TAG.name] };

function present(session: SignedIn | ActiveSession) {
  const { principal } = session;
  return envelope({
    data: {
      sub: principal.subject,
      tenant_id: principal.tenantId ?? null,
      roles: [...principal.roles],
      expires_at: formatRfc3339(session.expiresAt),
    },
  });
}

/** The cookie's live session; AuthenticationError when there is none. */
async function cookieSession(
  request: FastifyRequest,
  sessions: ConsoleSessionService,
): Promise<ActiveSession> {
  const sessionId = sessionIdOf(request);
  const session = sessionId === undefined ? undefined : await sessions.find(sessionId);
  if (session === undefined)
    throw new AuthenticationError('not signed in to the console (or the session ended)');
  return session;
}

/**
 * Signing in and out, served without a bearer token: POST /v1/console/sessions, GET and DELETE
 * /v1/console/session.
 */
export const consoleSessionRoutes: FastifyPluginAsyncTypebox<{
  sessions: ConsoleSessionService;
  verifyToken: TokenVerifier;
  now: () => number;
}> = (app, { sessions, verifyToken, now }) => {
  app.post(
    '/v1/console/sessions',
    {
      schema: {
        ...common,
        operationId: 'createConsoleSession',
        summary: 'Sign the console in',
        description:
          'Exchanges a one-time sign-in link (printed by sealog console-link; usable once, until it expires) or a ' +
          'token the platform issued (admin role required) for a session: the answer sets the HttpOnly, ' +
          'SameSite=Strict cookie sealog_session, which authenticates every bearer route until the session ' +
          'expires (CONSOLE_SESSION_TTL; a session made from a token ends at its exp if sooner) or signs out. ' +
          'A request from another site (a foreign Origin) is refused.',
        security: [],
        body: SignInBody,
        response: SessionResponses,
      },
    },
    async (request, reply) => {
      // A form on another site must not plant a session of its choosing in this browser.
      requireOwnOrigin(request, false);
      const { link, token } = request.body;
      if ((link === undefined) === (token === undefined)) {
        throw new InvalidInputError('send either {"link": "…"} or {"token": "…"}, not both and not neither');
      }
      let signedIn: SignedIn;
      if (link !== undefined) signedIn = await sessions.redeemLink(link);
      else {
        const tokenText = token ?? '';
        const principal = await verifyToken(`Bearer ${tokenText}`);
        // Verified above: exp is required and a number.
        const exp = decodeJwt(tokenText).exp ?? 0;
        signedIn = await sessions.signIn(principal, exp * 1000);
      }
      setSessionCookie(request, reply, signedIn.sessionId, signedIn.expiresAt, now());
      return present(signedIn);
    },
  );

  app.get(
    '/v1/console/session',
    {
      schema: {
        ...common,
        operationId: 'getConsoleSession',
        summary: 'Who the console is signed in as',
        description:
          'The session of the sealog_session cookie: user, tenant, roles and when it ends; 401 without one.',
        security: [],
        response: SessionResponses,
      },
    },
    async (request) => present(await cookieSession(request, sessions)),
  );

  app.delete(
    '/v1/console/session',
    {
      schema: {
        ...common,
        operationId: 'deleteConsoleSession',
        summary: 'Sign the console out',
        description:
          'Ends the session of the sealog_session cookie on the server (the cookie value is worthless from then on) ' +
          'and clears the cookie. Must come from the console’s own pages (Origin); signing out twice is no error.',
        security: [],
        response: SignOutResponses,
      },
    },
    async (request, reply) => {
      if (hasSessionCookie(request)) requireOwnOrigin(request, true);
      const sessionId = sessionIdOf(request);
      if (sessionId !== undefined) await sessions.signOut(sessionId);
      clearSessionCookie(request, reply);
      return { code: 200, message: 'signed out', timestamp: formatRfc3339(Date.now()) };
    },
  );
  return Promise.resolve();
};

/** GET /v1/console/tenants, behind the bearer token or the session cookie like every read. */
export const consoleTenantRoutes: FastifyPluginAsyncTypebox<{ logs: TenantLogs }> = (app, { logs }) => {
  app.get(
    '/v1/console/tenants',
    {
      schema: {
        ...common,
        operationId: 'listConsoleTenants',
        summary: 'Admin: the tenants the console can show',
        description:
          'Platform admins: every tenant that has logs (ascending by bytes); tenant admins: their own. Others: 403.',
        security: [{ bearerAuth: [] }],
        response: TenantsResponses,
      },
    },
    async (request) => envelope({ data: { items: await consoleTenants(principalOf(request), logs) } }),
  );
  return Promise.resolve();
};
