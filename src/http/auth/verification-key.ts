import { createPublicKey, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRemoteJWKSet, importSPKI, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { ConfigError, type JwtSettings } from '../../config.js';
import { readOrCreateSecretFile } from '../../domain/secret-file.js';

/** File, inside the data directory, holding the HS256 secret generated when none is configured. */
export const GENERATED_SECRET_FILE = 'jwt-secret';

/** One key a token may be signed with, imported once, with the only algorithm accepted with it. */
export interface ImportedKey {
  key: CryptoKey;
  algorithm: string;
}

/**
 * How tokens are checked. `keys`: every configured secret or public key, imported once, tried in
 * order (the first is the current one; the others are being rotated out); `jwks`: a key set fetched
 * from the identity provider, each token's key picked by its `kid`.
 */
export type VerificationKey =
  | {
      kind: 'keys';
      keys: ImportedKey[];
      /** The raw secret `sealog token` signs with: the first configured (or generated) one. */
      signingSecret: Uint8Array | undefined;
      /** Where the generated secret is kept, when none is configured. */
      generatedFile: string | undefined;
    }
  | { kind: 'jwks'; getKey: JWTVerifyGetKey; algorithms: string[] };

const ALGORITHM_BY_KEY_TYPE: Record<string, string | undefined> = {
  rsa: 'RS256',
  ec: 'ES256',
  ed25519: 'EdDSA',
};

/**
 * Resolves the configured key source. With none configured, reads or creates (mode 0600) the
 * secret file in `dataDir`, so that tokens minted by `sealog token` keep working across restarts.
 * Keys are imported here, once: importing an HS256 secret on every request was a sixth of a
 * request's CPU time.
 */
export async function resolveVerificationKey(jwt: JwtSettings, dataDir: string): Promise<VerificationKey> {
  if (jwt.secrets !== undefined) {
    const secrets = jwt.secrets.map((secret) => Buffer.from(secret));
    return {
      kind: 'keys',
      keys: await Promise.all(secrets.map(importSecret)),
      signingSecret: secrets[0],
      generatedFile: undefined,
    };
  }
  if (jwt.publicKeysPem !== undefined) {
    const keys = await Promise.all(
      jwt.publicKeysPem.map(async (pem) => {
        const algorithm = publicKeyAlgorithm(pem);
        return { key: await importSPKI(pem, algorithm), algorithm };
      }),
    );
    return { kind: 'keys', keys, signingSecret: undefined, generatedFile: undefined };
  }
  if (jwt.jwksUrl !== undefined) {
    return { kind: 'jwks', getKey: createRemoteJWKSet(jwt.jwksUrl), algorithms: ['RS256', 'ES256', 'EdDSA'] };
  }
  const file = join(dataDir, GENERATED_SECRET_FILE);
  const secret = loadOrCreateSecret(file);
  return { kind: 'keys', keys: [await importSecret(secret)], signingSecret: secret, generatedFile: file };
}

/** An HS256 secret as a non-extractable HMAC key that can only verify. */
async function importSecret(secret: Uint8Array): Promise<ImportedKey> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  return { key, algorithm: 'HS256' };
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
  // Created whole or not at all: workers starting together once read a file another had created
  // but not yet written, and failed on an empty key.
  return Buffer.from(readOrCreateSecretFile(file, () => `${randomBytes(32).toString('base64url')}\n`).trim());
}
