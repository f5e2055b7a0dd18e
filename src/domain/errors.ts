/**
 * Domain errors: what went wrong in terms of the service's rules, not of HTTP.
 * The HTTP layer maps each kind to a status code and to the error shape of the API being served.
 */
export type DomainErrorKind =
  'invalid_input' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter, field or record the client sent breaks a rule; the message names it and what is allowed. */
export class InvalidInputError extends DomainError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

/** No credential, or one that cannot be trusted (malformed, expired, wrong key or algorithm). */
export class AuthenticationError extends DomainError {
  constructor(message: string) {
    super('unauthenticated', message);
  }
}

/** The caller is known but its roles or tenant do not allow the operation. */
export class PermissionError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The request is valid but conflicts with the stored state (e.g. a delivery status moving backwards). */
export class ConflictError extends DomainError {
  /** @param retryAfterSeconds when the state will likely have moved on (Retry-After); undefined: not by itself. */
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super('conflict', message);
  }
}

/** Why a dependency failed: it cannot be reached, or it gave up on a request that took too long. */
export type UnavailableReason = 'unreachable' | 'timeout';

/** A dependency (the store, a JWKS endpoint) does not answer; the request may succeed when retried. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    readonly reason: UnavailableReason = 'unreachable',
  ) {
    super('unavailable', message);
  }
}
