/**
 * Bytes helpers of the in-browser proof check, and SHA-256: WebCrypto where the page has it (a
 * secure context: https, or http on localhost), else @noble/hashes loaded on demand, so that a
 * console served over plain http on a LAN address still checks proofs.
 */

/** The bytes of standard base64 `text`; throws on text that is not base64. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Whether `a` and `b` hold the same bytes (public values: no constant time needed). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** `parts` one after the other. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

/** Whether this page has WebCrypto's subtle interface (secure contexts only). */
export function hasSubtle(): boolean {
  return typeof crypto !== 'undefined' && typeof crypto.subtle === 'object';
}

/** SHA-256 of `data` (32 bytes). */
export async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  if (hasSubtle()) return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  const { sha256: nobleSha256 } = await import('@noble/hashes/sha2.js');
  return nobleSha256(data);
}
