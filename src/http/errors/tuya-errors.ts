import type { FastifyError } from 'fastify';
import { randomBytes } from 'node:crypto';
import { DomainError, type DomainErrorKind } from '../../domain/errors.js';
import { classifyError } from './client-error.js';

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
