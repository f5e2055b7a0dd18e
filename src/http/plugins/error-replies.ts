import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError } from '../../domain/errors.js';
import { authmsErrorBody } from '../errors/authms-error.js';
import { classifyError, RETRY_AFTER_SECONDS } from '../errors/client-error.js';
import { TUYA_ERRORS, toTuyaError, tuyaErrorBody } from '../errors/tuya-errors.js';

/** The APIs sealog serves, each with an error shape of its own. */
export type Api = 'authms' | 'tuya';

/**
 * Tuya's cloud API lives under /v1.0/; everything else (AuthMS, /v1/…, health, and /v1.0 itself,
 * as the not-found handler answers it) answers like AuthMS.
 */
export function apiOf(url: string): Api {
  return url.startsWith('/v1.0/') ? 'tuya' : 'authms';
}

/**
 * An error as it goes on the wire, and how loud to log it: `error` for the server's own faults
 * (with the stack), `warn` while the store does not answer, `info` for the client's mistakes.
 */
export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  level: 'error' | 'warn' | 'info';
}

/**
 * The answer to `error` in the shape of the API `url` belongs to. AuthMS: `{code, message,
 * timestamp}` with code = HTTP status. Tuya: HTTP 200 with `{success: false, code, msg, t, tid}`, as
 * Tuya's cloud answers (the official SDK throws on any non-2xx status and refreshes its token only on
 * code 1010); the one exception is a store that does not answer: 503 with the envelope (code 1111),
 * so that load balancers and retrying clients see a transient outage rather than a refusal.
 */
export function errorReply(url: string, error: Error): ErrorReply {
  const classified = classifyError(error);
  const unavailable = classified.statusCode === 503;
  const retryAfter = unavailable
    ? RETRY_AFTER_SECONDS
    : error instanceof ConflictError
      ? error.retryAfterSeconds
      : undefined;
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  const level = unavailable ? 'warn' : classified.statusCode >= 500 ? 'error' : 'info';
  if (apiOf(url) === 'tuya') {
    const tuyaError = toTuyaError(error);
    return {
      status: unavailable ? 503 : 200,
      headers,
      body: tuyaErrorBody(tuyaError.code, tuyaError.message),
      // A refusal the Tuya API decided (TuyaError) is the client's mistake, not the server's fault.
      level: unavailable ? 'warn' : tuyaError.code === TUYA_ERRORS.systemError.code ? 'error' : 'info',
    };
  }
  return { status: classified.statusCode, headers, body: authmsErrorBody(classified), level };
}

/**
 * Answers `error` for `request`: the route's error handler, Fastify's `frameworkErrors` (malformed
 * URLs, over-long path parameters) and body-parser failures all end here. Failures are logged with
 * their stack; refusals at info, without the request body, which may hold personal data.
 */
export function sendError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const answer = errorReply(request.url, error);
  const { tid } = answer.body;
  if (answer.level === 'error') request.log.error({ err: error, tid }, 'request failed');
  else {
    const reason = answer.body.message ?? answer.body.msg;
    request.log[answer.level]({ statusCode: answer.status, reason, tid }, 'request refused');
  }
  void reply.status(answer.status).headers(answer.headers).send(answer.body);
}

/** The one error handler of the server. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
}
