/**
 * A log's origin, `<prefix>/<tenant>/<kind>`: the first line of its checkpoints and the name of the
 * key that signs them (C2SP tlog-checkpoint, signed-note), so it must hold no space and no `+`,
 * and it names exactly one log of one deployment. The tenant id is percent-encoded (RFC 3986
 * style, UTF-8, upper-case hex) outside `[A-Za-z0-9._-]`, since tenant ids may hold `+`, spaces or
 * `/`; the platform access log (tenant '') is `~platform`, which no encoded tenant can be because
 * `~` is always encoded. The publisher also makes the origin a directory path, so no segment may
 * be `.`/`..`: a tenant's leading `.` is encoded as well, and the prefix is checked for them.
 */
import type { LogId } from '../sequencing/integrity-store.js';

/** The tenant segment of the platform access log (tenant ''). */
export const PLATFORM_TENANT_SEGMENT = '~platform';

/** Longest origin prefix, in UTF-16 code units (it is ASCII in practice). */
export const MAX_ORIGIN_PREFIX_LENGTH = 200;

const KIND = /^[a-z][a-z0-9-]*$/;
const ENCODED_TENANT = /^(?:[A-Za-z0-9._-]|%[0-9A-F]{2})+$/;
const UNRESERVED = /^[A-Za-z0-9._-]$/;

/**
 * Returns `prefix` if it can start origins (INTEGRITY_ORIGIN): 1 to 200 characters, no whitespace,
 * `+`, control character or lone surrogate, `/`-separated segments none of which is empty, `.` or
 * `..` (so no leading or trailing `/`). Throws an Error saying why otherwise.
 */
export function checkOriginPrefix(prefix: string): string {
  const why =
    prefix === ''
      ? 'it is empty'
      : prefix.length > MAX_ORIGIN_PREFIX_LENGTH
        ? `it is longer than ${MAX_ORIGIN_PREFIX_LENGTH} characters`
        : /[\s+]/u.test(prefix)
          ? 'it holds a space or a `+`'
          : /[\p{Cc}\p{Cs}]/u.test(prefix)
            ? 'it holds a control character or a lone surrogate'
            : prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
              ? 'it has an empty, `.` or `..` segment'
              : undefined;
  if (why !== undefined) throw new Error(`not an origin prefix (${why}): ${JSON.stringify(prefix)}`);
  return prefix;
}

/** The origin of `log` under `prefix` (checked as checkOriginPrefix does). Throws on a bad kind or tenant. */
export function logOrigin(prefix: string, log: LogId): string {
  checkOriginPrefix(prefix);
  if (!KIND.test(log.kind)) throw new Error(`not a log kind: ${JSON.stringify(log.kind)}`);
  return `${prefix}/${tenantSegment(log.tenantId)}/${log.kind}`;
}

/** The origin's tenant segment of `tenantId`. Throws on a lone surrogate, which has no UTF-8 form. */
export function tenantSegment(tenantId: string): string {
  if (tenantId === '') return PLATFORM_TENANT_SEGMENT;
  if (/\p{Cs}/u.test(tenantId)) throw new Error('a tenant id with a lone surrogate has no origin');
  let segment = '';
  for (const character of tenantId) {
    if (UNRESERVED.test(character) && !(segment === '' && character === '.')) {
      segment += character;
      continue;
    }
    for (const byte of Buffer.from(character))
      segment += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return segment;
}

/**
 * The prefix and log an origin names; the inverse of logOrigin. Throws unless `origin` is exactly
 * what logOrigin writes (canonical encoding only: `%2b`, `%41` or a bare `~x` are refused).
 */
export function parseLogOrigin(origin: string): { prefix: string } & LogId {
  const segments = origin.split('/');
  const kind = segments.pop() ?? '';
  const segment = segments.pop() ?? '';
  const prefix = segments.join('/');
  const tenantId = segment === PLATFORM_TENANT_SEGMENT ? '' : decodeTenant(segment);
  const log = { tenantId, kind };
  if (segments.length === 0 || logOrigin(prefix, log) !== origin) {
    throw new Error(`not a log origin: ${JSON.stringify(origin)}`);
  }
  return { prefix, ...log };
}

function decodeTenant(segment: string): string {
  if (!ENCODED_TENANT.test(segment)) throw new Error(`not a tenant segment: ${JSON.stringify(segment)}`);
  const bytes = Buffer.from(
    segment.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`the tenant segment ${segment} is not UTF-8`);
  }
}
