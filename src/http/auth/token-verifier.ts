import { errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthenticationError, UnavailableError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { VerificationKey } from './verification-key.js';

/** Turns an Authorization header into a verified Principal, or throws AuthenticationError. */
export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

/** Seconds of clock difference tolerated between the token issuer and sealog for exp and nbf. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Verifies `Bearer <JWT>` strictly: signature with the configured key, only the algorithms that key
 * allows (never `none`), `exp` required and in the future, `nbf` reached, and `iss`/`aud` when configured.
 */
export function createTokenVerifier(
  key: VerificationKey,
  expected: { issuer: string | undefined; audience: string | undefined },
): TokenVerifier {
  const options = {
    algorithms: key.algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(expected.issuer === undefined ? {} : { issuer: expected.issuer }),
    ...(expected.audience === undefined ? {} : { audience: expected.audience }),
  };
  return async (authorization) => {
    const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new AuthenticationError('missing bearer token: send Authorization: Bearer <JWT>');
    }
    let payload: JWTPayload;
    try {
      payload = (
        key.kind === 'secret'
          ? await jwtVerify(token, key.secret, options)
          : key.kind === 'public-key'
            ? await jwtVerify(token, key.key, options)
            : await jwtVerify(token, key.getKey, options)
      ).payload;
    } catch (error) {
      throw describeFailure(error);
    }
    return toPrincipal(payload);
  };
}

function describeFailure(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new AuthenticationError('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthenticationError(
      error.claim === 'nbf'
        ? 'token not yet valid'
        : `token claim ${error.claim} is invalid: ${error.reason}`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new AuthenticationError('token algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new AuthenticationError('token signature does not match the configured key');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new UnavailableError('cannot fetch the signing keys (JWKS); try again later');
  }
  if (error instanceof errors.JOSEError || error instanceof TypeError) {
    return new AuthenticationError('malformed token');
  }
  return error instanceof Error ? error : new Error(String(error));
}

function toPrincipal(payload: JWTPayload): Principal {
  const { sub, tenant_id: tenantId, roles } = payload;
  if (typeof sub !== 'string' || sub === '')
    throw new AuthenticationError('token claim sub must be a non-empty string');
  if (tenantId !== undefined && (typeof tenantId !== 'string' || tenantId === '')) {
    throw new AuthenticationError('token claim tenant_id must be a non-empty string');
  }
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) {
    throw new AuthenticationError('token claim roles must be an array of strings');
  }
  return { subject: sub, tenantId, roles: roles ?? [] };
}
