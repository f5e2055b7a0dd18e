// What the request fuzzer generates: requests described as data, with their credentials named
// rather than filled in, so that a seed always yields the same requests.

/** Bearer credentials, minted by the test with the server's secret (or deliberately broken). */
export const BEARER_KINDS = [
  ...['admin', 'platform-admin', 'user', 'other-tenant-admin', 'writer', 'platform-writer', 'none'],
  ...[
    'expired',
    'wrong-secret',
    'alg-none',
    'garbage',
    'empty-bearer',
    'basic',
    'lowercase-scheme',
    'roles-string',
  ],
] as const;
/** One of BEARER_KINDS. */
export type BearerKind = (typeof BEARER_KINDS)[number];

/**
 * How a Tuya request is signed: validly (most; `valid` signs the decoded target as the official
 * Node SDK does, `valid-sorted` the decoded parameters sorted by name as Tuya documents), or with
 * one thing wrong.
 */
export const TUYA_KINDS = [
  ...['valid', 'valid-sorted', 'valid-nonce', 'legacy', 'no-headers', 'no-sign', 'unknown-client', 'bad-t'],
  'stale-t',
  ...['bad-sign', 'lowercase-sign', 'bad-token', 'no-token', 'md5'],
] as const;
/** One of TUYA_KINDS. */
export type TuyaKind = (typeof TUYA_KINDS)[number];

/** The credentials a request carries, by name; fuzz-credentials.ts turns them into headers. */
export type Credentials = { scheme: 'bearer'; kind: BearerKind } | { scheme: 'tuya'; kind: TuyaKind };

/** How the bytes go out: fetch for ordinary requests, node:http and raw sockets for what fetch refuses. */
export type Transport = 'fetch' | 'http' | 'raw';

/** Raw-socket framings; `normal` is a well-formed HTTP/1.1 message. */
export const FRAMINGS = [
  ...['normal', 'truncated-body', 'bad-chunked', 'huge-header', 'cl-and-te', 'no-host', 'http10', 'bare-lf'],
  ...['bad-header-name', 'duplicate-headers'],
] as const;
/** One of FRAMINGS. */
export type Framing = (typeof FRAMINGS)[number];

/** One generated request; `index` with the seed reproduces it. */
export interface FuzzRequest {
  index: number;
  /** The route it was derived from (`GET /admin/communication/logs`), or `garbage path`. */
  route: string;
  method: string;
  /** The request-target (path and query) as written on the wire; `{{refresh}}` is a live refresh token. */
  target: string;
  /** Extra headers (content type and the like); credentials are added when sending. */
  headers: [string, string][];
  body: Buffer | undefined;
  credentials: Credentials;
  transport: Transport;
  framing: Framing;
  /** Coverage tags such as `GET /x?page=invalid`; the test checks every parameter was hit. */
  tags: string[];
}

/** Known-good values (seeded ids, enums) by parameter name, so valid requests find rows. */
export type KnownValues = Record<string, readonly string[]>;

/** The methods every client sends. */
export const STANDARD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
/** Methods Node parses (WebDAV, CONNECT, TRACE), tokens it does not, and strings that are no token at all. */
export const EXOTIC_METHODS = [
  ...['PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE', 'TRACE', 'CONNECT', 'FOO', 'BREW', 'X-CUSTOM'],
  ...['get', 'Post', 'GE T', 'G', 'GETT', 'DELETEX', 'M-SEARCH', 'PRI', 'HEAD\t'],
];

/** Paths no route declares, or declares only by accident: near misses, bad escapes, absolute and `*` forms. */
export const GARBAGE_PATHS = [
  ...[
    '/',
    '/admin',
    '/admin/',
    '/v1.0',
    '/v1.0/',
    '/v1.0/unknown',
    '/v1.0/token/',
    '/V1.0/token',
    '/v1/ingest',
  ],
  ...['/v1/ingest/unknown', '//admin/communication/logs', '/admin/communication/logs/', '/admin//logs'],
  ...['/docs', '/docs/', '/docs/json', '/docs/static/index.html', '/docs/%ff', '/openapi.json', '/healthz/'],
  ...['/%ff', '/%', '/%zz/..', '/%00', '/v1.0/%ff', '/v1.0/token/%', '/admin/%ed%a0%80', '/favicon.ico', '*'],
  ...['/admin/communication/logs/../mfa/config-audit-logs', '/v1.0/iot-03/audit/operate-logs/./', '/\\admin'],
  ...['/readyz?%ff', '/healthz?a=%00', '/v1.0/iot-03/audit/operate-logs#frag', 'http://127.0.0.1/healthz'],
];

/** A request before its index and transport are settled; `preferHttp` sends it with node:http even if fetch could. */
export type PlannedRequest = Omit<FuzzRequest, 'index' | 'transport'> & { preferHttp: boolean };

const FETCH_METHODS = new Set(STANDARD_METHODS);
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The transport that can carry `request` unchanged: fetch if it can, else node:http, else a raw socket. */
export function transportFor(request: PlannedRequest): Transport {
  const path = request.target.split('?')[0] ?? '';
  if (request.framing !== 'normal') return 'raw';
  if (!HTTP_TOKEN.test(request.method) || request.method !== request.method.toUpperCase()) return 'raw';
  if (/[^\x21-\x7e]/.test(request.target) || !request.target.startsWith('/')) return 'raw';
  if (!FETCH_METHODS.has(request.method) || request.preferHttp) return 'http';
  if ((request.method === 'GET' || request.method === 'HEAD') && request.body !== undefined) return 'http';
  // The URL parser would resolve these (dot segments, `\` as `/`, `//` as an authority) or drop them (`#`).
  if (/[#\\]|%2e|\/\.\.?(\/|$)/i.test(path) || request.target.includes('#') || path.startsWith('//'))
    return 'http';
  return 'fetch';
}

/** Numbers `planned` in order and settles their transports. */
export function settle(planned: readonly PlannedRequest[]): FuzzRequest[] {
  return planned.map(({ preferHttp, ...request }, index) => ({
    ...request,
    index,
    transport: transportFor({ ...request, preferHttp }),
  }));
}
