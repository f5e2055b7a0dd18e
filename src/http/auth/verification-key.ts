import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, importSPKI, type JWTVerifyGetKey } from 'jose';
import { ConfigError, type JwtSettings } from '../../config.js';

/** File, inside the data directory, holding the HS256 secret generated when none is configured. */
export const GENERATED_SECRET_FILE = 'jwt-secret';

/** How tokens are checked: the key material and the only algorithms accepted with it. */
export type VerificationKey =
  | { kind: 'secret'; secret: Uint8Array; algorithms: ['HS256']; generatedFile: string | undefined }
  | { kind: 'public-key'; key: Awaited<ReturnType<typeof importSPKI>>; algorithms: [string] }
  | { kind: 'jwks'; getKey: JWTVerifyGetKey; algorithms: string[] };

const ALGORITHM_BY_KEY_TYPE: Record<string, string | undefined> = {
  rsa: 'RS256',
  ec: 'ES256',
  ed25519: 'EdDSA',
};

/**
 * Resolves the configured key source. With none configured, reads or creates (mode 0600) the
 * secret file in `dataDir`, so that tokens minted by `sealog token` keep working across restarts.
 */
export async function resolveVerificationKey(jwt: JwtSettings, dataDir: string): Promise<VerificationKey> {
  if (jwt.secret !== undefined) {
    return {
      kind: 'secret',
      secret: Buffer.from(jwt.secret),
      algorithms: ['HS256'],
      generatedFile: undefined,
    };
  }
  if (jwt.publicKeyPem !== undefined) {
    const algorithm = publicKeyAlgorithm(jwt.publicKeyPem);
    return {
      kind: 'public-key',
      key: await importSPKI(jwt.publicKeyPem, algorithm),
      algorithms: [algorithm],
    };
  }
  if (jwt.jwksUrl !== undefined) {
    return { kind: 'jwks', getKey: createRemoteJWKSet(jwt.jwksUrl), algorithms: ['RS256', 'ES256', 'EdDSA'] };
  }
  const file = join(dataDir, GENERATED_SECRET_FILE);
  return { kind: 'secret', secret: loadOrCreateSecret(file), algorithms: ['HS256'], generatedFile: file };
}

function publicKeyAlgorithm(pem: string): string {
  let keyType: string | undefined;
  let curve: string | undefined;
  try {
    const key = createPublicKey(pem);
    keyType = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEY', 'is not a readable PEM public key');
  }
  const algorithm = ALGORITHM_BY_KEY_TYPE[keyType ?? ''];
  if (algorithm === undefined || (keyType === 'ec' && curve !== 'prime256v1')) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'must be an RSA, EC P-256 or Ed25519 public key');
  }
  return algorithm;
}

function loadOrCreateSecret(file: string): Uint8Array {
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(join(file, '..'), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created the file meanwhile; then its secret is the one to use.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(file, 'utf8').trim());
  }
  return Buffer.from(secret);
}
