import { createCipheriv, createDecipheriv, randomFillSync, type KeyObject } from 'node:crypto';

/**
 * Sealed envelopes: personal values encrypted with AES-256-GCM under a data subject's key, as text
 * that fits a TEXT column — `s1.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The associated
 * data binds an envelope to its tenant, kind, record and column, so that a sealed value copied onto
 * another record or column fails to open instead of showing another person's data there.
 */

/** Envelope format version prefix, including its separator. */
export const ENVELOPE_PREFIX = 's1.';
/** Characters of a key id: base64url of 8 random bytes, unpadded. */
export const KEY_ID_LENGTH = 11;
/** Bytes of a GCM nonce (the 96-bit size GCM derives its counter from directly). */
export const NONCE_BYTES = 12;
/** Bytes of a GCM authentication tag: the full 128 bits, never truncated. */
export const TAG_BYTES = 16;
/** The `part` of the envelope that seals a row's immutable personal columns together. */
export const RECORD_PART = 'record';

const ALGORITHM = 'aes-256-gcm';
const AD_LABEL = 'sealog-seal/1';
/** The associated data's text up to its tenant: `["sealog-seal/1",`. */
const AD_START = `[${JSON.stringify(AD_LABEL)},`;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{11}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Characters before the body: prefix, key id and the dot after it. */
const BODY_START = ENVELOPE_PREFIX.length + KEY_ID_LENGTH + 1;

/** A subject key ready to seal or open with: its id (as written into envelopes) and its 32 bytes. */
export interface SealingKey {
  readonly keyId: string;
  /** A 256-bit AES key. */
  readonly key: KeyObject;
}

/** Where a sealed value belongs; every field goes into the associated data. */
export interface SealContext {
  readonly tenantId: string;
  /** The kind's name, e.g. `operate-log` (LogTable.kind). */
  readonly kind: string;
  /** The record's id (for a communication-log transition's columns: the log's id). */
  readonly recordId: string;
  /** RECORD_PART for a row's envelope, else the column name a separately sealed value belongs to. */
  readonly part: string;
}

/** Why an envelope could not be opened. */
export type SealedFieldFailure = 'format' | 'authentication';

/**
 * An envelope that is not well formed, or whose authentication failed: it was altered, moved to
 * another record, kind, tenant or column, or opened with the wrong key. Never a partial plaintext.
 */
export class SealedFieldError extends Error {
  constructor(
    readonly failure: SealedFieldFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SealedFieldError';
  }
}

// Random bytes drawn from the CSPRNG at once and handed out a nonce at a time, as ids.ts does:
// one randomFillSync per 512 nonces instead of a system call each.
const POOL_BYTES = NONCE_BYTES * 512;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** Copies a fresh random nonce into `target` at offset 0. */
function drawNonce(target: Buffer): void {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  pool.copy(target, 0, used, used + NONCE_BYTES);
  used += NONCE_BYTES;
}

/** The associated data of an envelope: a versioned JSON array, unambiguous for any field values. */
export function associatedData(context: SealContext): Buffer {
  // The text of JSON.stringify([AD_LABEL, tenantId, kind, recordId, part]), without the array.
  const { tenantId, kind, recordId, part } = context;
  const json = `${AD_START}${JSON.stringify(tenantId)},${JSON.stringify(kind)},${JSON.stringify(recordId)},${JSON.stringify(part)}]`;
  return Buffer.from(json, 'utf8');
}

/**
 * Seals `plaintext` (any string; lone surrogates become U+FFFD in UTF-8, so callers pass JSON text,
 * which escapes them) under `key` for `context`. About 56 characters plus 4/3 of the plaintext's
 * UTF-8 bytes. Safe for at most 2^32 envelopes per key (random nonces); the key ring rotates long
 * before that.
 */
export function sealEnvelope(key: SealingKey, context: SealContext, plaintext: string): string {
  const nonce = Buffer.allocUnsafe(NONCE_BYTES);
  drawNonce(nonce);
  const cipher = createCipheriv(ALGORITHM, key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context));
  const body = cipher.update(plaintext, 'utf8');
  const last = cipher.final();
  const sealed = Buffer.concat([nonce, body, last, cipher.getAuthTag()]);
  return `${ENVELOPE_PREFIX}${key.keyId}.${sealed.toString('base64url')}`;
}

/** Whether `value` looks like an envelope (its prefix only; envelopeKeyId checks the rest). */
export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX);
}

/**
 * The id of the key that sealed `envelope`, read without decrypting. Throws SealedFieldError
 * ('format') when the text is not an envelope of this format.
 */
export function envelopeKeyId(envelope: string): string {
  if (!envelope.startsWith(ENVELOPE_PREFIX) || envelope.charCodeAt(BODY_START - 1) !== 0x2e) {
    throw formatError('does not start with s1.<key id>.');
  }
  const keyId = envelope.slice(ENVELOPE_PREFIX.length, BODY_START - 1);
  if (!KEY_ID_PATTERN.test(keyId)) throw formatError('has a malformed key id');
  return keyId;
}

/**
 * Opens `envelope` with `key` for `context`, returning the sealed plaintext. Throws
 * SealedFieldError: 'format' for text that is not a well-formed envelope sealed by `key`,
 * 'authentication' when it was altered or belongs to another tenant, kind, record or column.
 */
export function openEnvelope(envelope: string, key: SealingKey, context: SealContext): string {
  // A key's id is well formed, so matching it checks the envelope's prefix and key id at once.
  if (
    !envelope.startsWith(ENVELOPE_PREFIX) ||
    !envelope.startsWith(key.keyId, ENVELOPE_PREFIX.length) ||
    envelope.charCodeAt(BODY_START - 1) !== 0x2e ||
    key.keyId.length !== KEY_ID_LENGTH
  ) {
    throw formatError(`was sealed with key ${envelopeKeyId(envelope)}, not ${key.keyId}`);
  }
  const sealed = decodeBody(envelope.slice(BODY_START));
  const tagStart = sealed.length - TAG_BYTES;
  const decipher = createDecipheriv(ALGORITHM, key.key, sealed.subarray(0, NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(sealed.subarray(tagStart));
  const body = decipher.update(sealed.subarray(NONCE_BYTES, tagStart));
  try {
    const last = decipher.final();
    return last.length === 0 ? body.toString('utf8') : Buffer.concat([body, last]).toString('utf8');
  } catch {
    throw new SealedFieldError(
      'authentication',
      `sealed value of ${context.kind} ${context.recordId} (${context.part}, tenant ${JSON.stringify(context.tenantId)}) failed authentication: it was altered or belongs to another record`,
    );
  }
}

/**
 * Decodes the base64url body strictly: only the canonical encoding is accepted (no padding, zero
 * trailing bits), so that every character of a stored envelope is covered by its authentication.
 */
function decodeBody(body: string): Buffer {
  const remainder = body.length % 4;
  if (remainder === 1 || !BASE64URL_PATTERN.test(body)) throw formatError('has a malformed body');
  if (remainder !== 0) {
    const lastValue = BASE64URL_ALPHABET.indexOf(body.charAt(body.length - 1));
    // 2 trailing characters carry 12 bits for 8 (4 spare bits), 3 carry 18 for 16 (2 spare bits).
    const spareBits = remainder === 2 ? 0x0f : 0x03;
    if ((lastValue & spareBits) !== 0) throw formatError('has a non-canonical body');
  }
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw formatError('is too short');
  return sealed;
}

function formatError(problem: string): SealedFieldError {
  return new SealedFieldError('format', `sealed value ${problem}`);
}
