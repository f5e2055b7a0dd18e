import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { DomainError, type DomainErrorKind } from '../../domain/errors.js';
import { classifyError, RETRY_AFTER_SECONDS } from '../plugins/error-handler.js';

/** Tuya's global error codes used by sealog, with Tuya's own message text. */
export const TUYA_ERRORS = {
  systemError: { code: 500, msg: 'system error, please contact the admin' },
  accessTokenNull: { code: 1002, msg: 'access_token is null' },
  grantTypeInvalid: { code: 1003, msg: 'grant type invalid' },
  signInvalid: { code: 1004, msg: 'sign invalid' },
  clientIdInvalid: { code: 1005, msg: 'clientId invalid' },
  tokenExpired: { code: 1010, msg: 'token is expired' },
  tokenInvalid: { code: 1011, msg: 'token invalid' },
  requestTimeInvalid: { code: 1013, msg: 'request time is invalid' },
  missingHeader: { code: 1105, msg: 'missing the header' },
  permissionDeny: { code: 1106, msg: 'permission deny' },
  uriPathInvalid: { code: 1108, msg: 'uri path invalid' },
  paramIllegal: { code: 1109, msg: 'param is illegal, please check it' },
  systemBusy: { code: 1111, msg: 'system is busy, please retry later' },
} as const;

export type TuyaErrorName = keyof typeof TUYA_ERRORS;

/** A refusal in Tuya's terms; `detail` (never a secret) follows Tuya's message after a colon. */
export class TuyaError extends Error {
  readonly code: number;
  constructor(name: TuyaErrorName, detail?: string) {
    const { code, msg } = TUYA_ERRORS[name];
    super(detail === undefined ? msg : `${msg}: ${detail}`);
    this.code = code;
    this.name = 'TuyaError';
  }
}

const BY_DOMAIN_KIND: Record<DomainErrorKind, TuyaErrorName> = {
  invalid_input: 'paramIllegal',
  unauthenticated: 'tokenInvalid',
  forbidden: 'permissionDeny',
  not_found: 'uriPathInvalid',
  conflict: 'paramIllegal',
  unavailable: 'systemBusy',
};

/** Tuya's error envelope: `{success: false, code, msg, t, tid}`. */
export function tuyaErrorBody(code: number, msg: string) {
  return { success: false as const, code, msg, t: Date.now(), tid: randomBytes(16).toString('hex') };
}

/** Maps any error to Tuya's code and message; schema violations read as parameter errors. */
export function toTuyaError(error: FastifyError | Error): TuyaError {
  if (error instanceof TuyaError) return error;
  if (error instanceof DomainError) return new TuyaError(BY_DOMAIN_KIND[error.kind], error.message);
  const { statusCode, message } = classifyError(error);
  return statusCode < 500 ? new TuyaError('paramIllegal', message) : new TuyaError('systemError');
}

/**
 * Error handler of the Tuya API: HTTP 200 with the error envelope, as Tuya's cloud answers (the
 * official SDK throws on any non-2xx status and refreshes its token only on code 1010). The one
 * exception is a store that does not answer: 503 with the envelope (code 1111), so that load
 * balancers and retrying clients see a transient outage rather than a refusal.
 */
export function tuyaErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const tuyaError = toTuyaError(error);
  const body = tuyaErrorBody(tuyaError.code, tuyaError.message);
  if (tuyaError.code === TUYA_ERRORS.systemError.code)
    request.log.error({ err: error, tid: body.tid }, 'request failed');
  else request.log.info({ code: body.code, reason: body.msg, tid: body.tid }, 'request refused');
  if (error instanceof DomainError && error.kind === 'unavailable') {
    return reply.status(503).header('retry-after', RETRY_AFTER_SECONDS).send(body);
  }
  return reply.status(200).send(body);
}
