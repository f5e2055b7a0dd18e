/**
 * Ed25519 signature checks: WebCrypto where the browser implements Ed25519 (Chromium 137+,
 * Firefox 129+, Safari 17+), else @noble/ed25519, loaded only then. Both check RFC 8032 strictly.
 */
import { hasSubtle } from './bytes';

/** Thrown when neither WebCrypto nor the fallback can run. */
export class Ed25519UnavailableError extends Error {
  override readonly name = 'Ed25519UnavailableError';
}

/** Whether `signature` (64 bytes) is `publicKey`'s (32 bytes) over `message`. */
export async function verifyEd25519(
  publicKey: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  if (hasSubtle()) {
    let key: CryptoKey | undefined;
    try {
      key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    } catch {
      // NotSupportedError on browsers without WebCrypto Ed25519 (or a key it refuses): noble decides.
      key = undefined;
    }
    if (key !== undefined) return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  }
  let ed: typeof import('@noble/ed25519');
  try {
    ed = await import('@noble/ed25519');
    if (!hasSubtle()) {
      // No WebCrypto at all (plain http off localhost): noble's synchronous path with noble's SHA-512.
      ed.hashes.sha512 = (await import('@noble/hashes/sha2.js')).sha512;
    }
  } catch (error) {
    throw new Ed25519UnavailableError(error instanceof Error ? error.message : String(error));
  }
  try {
    const options = { zip215: false };
    return hasSubtle()
      ? await ed.verifyAsync(signature, message, publicKey, options)
      : ed.verify(signature, message, publicKey, options);
  } catch {
    // A public key or signature that is not a curve point: not a valid signature.
    return false;
  }
}
