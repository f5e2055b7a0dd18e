import type { FastifyReply, FastifyRequest } from 'fastify';
import { PermissionError } from '../../domain/errors.js';

/** The console's session cookie: its value is the session id, which the store keeps hashed. */
export const SESSION_COOKIE = 'sealog_session';

/** A session id as issued: 32 random bytes in base64url. Anything else is no session of ours. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Methods that change nothing: a cookie-authenticated request of another method must prove its origin. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The session id the request's cookie carries; undefined without one (or with a malformed one). */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return value !== undefined && SESSION_ID.test(value) ? value : undefined;
}

/** Whether the request carries a console cookie at all, well-formed or not. */
export function hasSessionCookie(request: FastifyRequest): boolean {
  return (request.cookies[SESSION_COOKIE] ?? '') !== '';
}

/**
 * Sets the session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it), Path=/ (the console's API calls are under /v1 and /admin), Max-Age until `expiresAt`,
 * and Secure when the request came over HTTPS (directly, or through a trusted proxy).
 */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  sessionId: string,
  expiresAt: number,
  nowMs: number,
): void {
  void reply.setCookie(SESSION_COOKIE, sessionId, {
    ...cookieScope(request),
    maxAge: Math.max(0, Math.round((expiresAt - nowMs) / 1000)),
  });
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, cookieScope(request));
}

function cookieScope(request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
  } as const;
}

/** The server's own origin as the client reached it: scheme://host[:port] (a trusted proxy's, behind one). */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
}

/** Whether `request` must prove it comes from the console's own pages (a state change by cookie). */
export function changesState(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method);
}

/**
 * Refuses (403) a request whose Origin is not the server's own; with `required`, one without an
 * Origin too. Browsers send Origin on every cross-site request and on every fetch that is no GET
 * or HEAD, so another site's page cannot make a signed-in browser change anything.
 */
export function requireOwnOrigin(request: FastifyRequest, required: boolean): void {
  const origin = request.headers.origin;
  if (origin === undefined && !required) return;
  if (origin?.toLowerCase() === ownOrigin(request)) return;
  throw new PermissionError(
    `a console request that changes something must come from this server's own pages: ` +
      `Origin ${origin === undefined ? 'is missing' : `"${origin}" is not ${ownOrigin(request)}`}`,
  );
}
