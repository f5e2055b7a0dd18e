import { SignJWT } from 'jose';

export interface TokenClaims {
  subject: string;
  tenantId: string | undefined;
  roles: readonly string[];
}

/**
 * Mints an HS256 token for local use (`sealog token`), valid for `ttlSeconds` from now.
 * Production deployments mint tokens with their own identity provider.
 */
export async function mintToken(
  secret: Uint8Array,
  claims: TokenClaims,
  ttlSeconds: number,
  expected: { issuer: string | undefined; audience: string | undefined },
): Promise<string> {
  let jwt = new SignJWT({
    roles: [...claims.roles],
    ...(claims.tenantId === undefined ? {} : { tenant_id: claims.tenantId }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (expected.issuer !== undefined) jwt = jwt.setIssuer(expected.issuer);
  if (expected.audience !== undefined) jwt = jwt.setAudience(expected.audience);
  return jwt.sign(secret);
}
