import { LRUCache } from 'lru-cache';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AuthenticationError, UnavailableError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { VerificationKey } from './verification-key.js';

/** Turns an Authorization header into a verified Principal, or throws AuthenticationError. */
export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

/** Seconds of clock difference tolerated between the token issuer and sealog for exp and nbf. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens remembered at once; a client reuses its token, so a few thousand cover a busy API. */
const CACHED_TOKENS = 10_000;
/**
 * Longest a verified token is remembered, in ms, even when its exp is later: a key removed from the
 * JWKS stops being honoured within this time.
 */
const MAX_CACHED_MS = 5 * 60_000;

/**
 * Verifies `Bearer <JWT>` strictly: signature with a configured key, only the algorithm that key
 * allows (never `none`), `exp` required and in the future, `nbf` reached, and `iss`/`aud` when configured.
 * With several keys (rotation), each is tried in order until one's signature matches.
 *
 * A token that verified is remembered by its exact string (at most CACHED_TOKENS of them, never past
 * its `exp` and never longer than MAX_CACHED_MS), so a client's next requests skip the signature
 * check, which costs more than the whole query behind a page. Failures are not remembered.
 */
export function createTokenVerifier(
  key: VerificationKey,
  expected: { issuer: string | undefined; audience: string | undefined },
): TokenVerifier {
  const options: JWTVerifyOptions = {
    requiredClaims: ['exp', 'sub'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(expected.issuer === undefined ? {} : { issuer: expected.issuer }),
    ...(expected.audience === undefined ? {} : { audience: expected.audience }),
  };
  const verified = new LRUCache<string, { principal: Principal; expiresAtMs: number }>({
    max: CACHED_TOKENS,
  });
  const verify = async (token: string): Promise<JWTPayload> => {
    if (key.kind === 'jwks') {
      return (await jwtVerify(token, key.getKey, { ...options, algorithms: key.algorithms })).payload;
    }
    let failure: unknown;
    for (const { key: candidate, algorithm } of key.keys) {
      try {
        return (await jwtVerify(token, candidate, { ...options, algorithms: [algorithm] })).payload;
      } catch (error) {
        // Another key may have signed it: only a signature (or algorithm) mismatch moves on.
        if (!(
          error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed
        )) {
          throw error;
        }
        // A signature mismatch says more than an algorithm no other key uses.
        if (failure === undefined || failure instanceof errors.JOSEAlgNotAllowed) failure = error;
      }
    }
    throw failure;
  };
  return async (authorization) => {
    const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new AuthenticationError('missing bearer token: send Authorization: Bearer <JWT>');
    }
    const nowMs = Date.now();
    const cached = verified.get(token);
    if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.principal;
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (error) {
      throw describeFailure(error);
    }
    const principal = toPrincipal(payload);
    // exp is required, so it is a number here; the cache never outlives it.
    const expiresAtMs = Math.min((payload.exp ?? 0) * 1000, nowMs + MAX_CACHED_MS);
    if (expiresAtMs > nowMs) verified.set(token, { principal, expiresAtMs });
    return principal;
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
