/**
 * NATS subjects of a stream's events: `<prefix>.<tenant>.<kind>`, one subject per (tenant, kind)
 * log, so a consumer can filter on a tenant (`sealog.acme.>`) or a kind (`sealog.*.access-log`).
 *
 * A subject token may not hold `.` (the separator), `*` or `>` (wildcards), whitespace or
 * control characters, yet a tenant id may hold any visible ASCII character. Tenant and kind are
 * therefore written as tokens by this reversible encoding:
 *
 * - `A`–`Z`, `a`–`z`, `0`–`9`, `_` and `-` stand for themselves;
 * - every other byte of the id's UTF-8 form (`~` included) is written `~XX`, its value in two
 *   upper-case hex digits: `a.b` → `a~2Eb`, `x*>` → `x~2A~3E`, `~` → `~7E`.
 *
 * The result holds only `[A-Za-z0-9_~-]`, so it is a valid token in any NATS tool, and each id has
 * exactly one token (decoding accepts upper-case hex only), so the mapping is a bijection.
 */

/** A character kept as is in a token. */
const PLAIN = /^[A-Za-z0-9_-]$/;
/** A whole encoded token: plain characters and `~XX` escapes. */
const ENCODED_TOKEN = /^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$/;

/**
 * A subject prefix sealog accepts: one or more tokens of `[A-Za-z0-9_-]` joined by `.`, at most
 * 128 characters. This excludes wildcards, empty tokens and `$` (reserved for system subjects such
 * as `$JS.API`), and is the pattern of `subject_prefix` in the destination's schema.
 */
export const SUBJECT_PREFIX_PATTERN = '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$';
const SUBJECT_PREFIX = new RegExp(SUBJECT_PREFIX_PATTERN);
/** The longest subject prefix, in characters. */
export const SUBJECT_PREFIX_MAX_LENGTH = 128;

/** Whether `prefix` is a valid subject prefix (see SUBJECT_PREFIX_PATTERN). */
export function isValidSubjectPrefix(prefix: string): boolean {
  return prefix.length <= SUBJECT_PREFIX_MAX_LENGTH && SUBJECT_PREFIX.test(prefix);
}

/**
 * `value` as one subject token (see the module's comment). An empty value gives an empty token,
 * which is not a valid token: callers pass tenant ids and kinds, never empty.
 */
export function encodeSubjectToken(value: string): string {
  let token = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    token += PLAIN.test(char) ? char : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return token;
}

/**
 * The value a token encodes, or undefined if `token` is not one encodeSubjectToken writes (an
 * empty token, a character outside `[A-Za-z0-9_~-]`, a `~` not followed by two upper-case hex
 * digits, or bytes that are not UTF-8).
 */
export function decodeSubjectToken(token: string): string | undefined {
  if (!ENCODED_TOKEN.test(token)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '~') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** The subject of the events of (`tenantId`, `kind`): `<prefix>.<tenant token>.<kind token>`. */
export function natsSubject(prefix: string, tenantId: string, kind: string): string {
  return `${prefix}.${encodeSubjectToken(tenantId)}.${encodeSubjectToken(kind)}`;
}

/**
 * The (tenant id, kind) of an event subject under `prefix`, or undefined if `subject` is not one
 * natsSubject writes for that prefix. For consumers, and for tests that read events back.
 */
export function parseNatsSubject(
  prefix: string,
  subject: string,
): { tenantId: string; kind: string } | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const tokens = subject.slice(prefix.length + 1).split('.');
  if (tokens.length !== 2) return undefined;
  const tenantId = decodeSubjectToken(tokens[0] ?? '');
  const kind = decodeSubjectToken(tokens[1] ?? '');
  return tenantId === undefined || kind === undefined ? undefined : { tenantId, kind };
}
