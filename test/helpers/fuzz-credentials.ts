import { createHash, createHmac } from 'node:crypto';
import type { TestServer } from './test-server.js';
import type { BearerKind, FuzzRequest, TuyaKind } from './fuzz-request.js';

// Credentials for fuzzed requests: bearer tokens minted once per run, and Tuya signatures computed
// per request over the exact request-target and body bytes that go on the wire.

/** The Tuya project the fuzz server is configured with (TUYA_CLIENTS). */
export interface TuyaProjectCredentials {
  clientId: string;
  secret: string;
  /** A live access token for business calls. */
  accessToken: string;
}

/** The Authorization header value of every bearer kind (undefined: no header). */
export type BearerHeaders = Record<BearerKind, string | undefined>;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Mints one token per bearer kind: valid admins, users and writers, and broken ones that must get 401. */
export async function mintBearerHeaders(api: TestServer, tenantId: string): Promise<BearerHeaders> {
  const admin = await api.token({ sub: 'usr_fuzz_admin', tenant_id: tenantId, roles: ['admin'] });
  const now = Math.floor(Date.now() / 1000);
  return {
    admin: `Bearer ${admin}`,
    'platform-admin': `Bearer ${await api.token({ sub: 'usr_platform', roles: ['admin'] })}`,
    user: `Bearer ${await api.token({ sub: 'usr_fuzz_0', tenant_id: tenantId, roles: ['user'] })}`,
    'other-tenant-admin': `Bearer ${await api.token({ sub: 'usr_other', tenant_id: 'tnt_other', roles: ['admin'] })}`,
    writer: `Bearer ${await api.token({ sub: 'svc_fuzz', tenant_id: tenantId, roles: ['audit:write'] })}`,
    'platform-writer': `Bearer ${await api.token({ sub: 'svc_platform', roles: ['audit:write'] })}`,
    none: undefined,
    expired: `Bearer ${await api.token({ tenant_id: tenantId, roles: ['admin'], expiresIn: -3600 })}`,
    'wrong-secret': `Bearer ${await api.token({ tenant_id: tenantId, roles: ['admin'] }, 'another-secret-of-at-least-thirty-two-bytes')}`,
    'alg-none': `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'x', tenant_id: tenantId, roles: ['admin'], exp: now + 3600 })}.`,
    garbage: 'Bearer abc.def.ghi',
    'empty-bearer': 'Bearer ',
    basic: 'Basic dXNlcjpwYXNz',
    'lowercase-scheme': `bearer ${admin}`,
    'roles-string': `Bearer ${await api.token({ tenant_id: tenantId, roles: 'admin' as unknown as string[] })}`,
  };
}

const hmacUpper = (text: string, secret: string) =>
  createHmac('sha256', secret).update(text, 'utf8').digest('hex').toUpperCase();

/**
 * The URL a Tuya client signs for `target`: the target percent-decoded (`+` in the query as a
 * space), as the official Node SDK signs it. A target that does not decode is signed raw; the
 * server then answers 1004, which is what such a request deserves.
 */
export function tuyaSignedUrl(target: string): string {
  const queryStart = target.indexOf('?');
  const plusAsSpace =
    queryStart === -1
      ? target
      : target.slice(0, queryStart) + target.slice(queryStart).replaceAll('+', '%20');
  try {
    return decodeURIComponent(plusAsSpace);
  } catch {
    return target;
  }
}

/**
 * The URL as Tuya documents signing it: the decoded parameters (split on `&` and the first `=`)
 * sorted by name, written `k=v` unencoded after the decoded path. Signed raw when it does not decode.
 */
export function tuyaSortedUrl(target: string): string {
  const queryStart = target.indexOf('?');
  if (queryStart === -1) return tuyaSignedUrl(target);
  const decode = (text: string) => decodeURIComponent(text.replaceAll('+', '%20'));
  try {
    const pairs = target
      .slice(queryStart + 1)
      .split('&')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const equals = pair.indexOf('=');
        return equals === -1
          ? [decode(pair), '']
          : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
      })
      .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0));
    const path = decodeURIComponent(target.slice(0, queryStart));
    return pairs.length === 0 ? path : `${path}?${pairs.map(([k = '', v = '']) => `${k}=${v}`).join('&')}`;
  } catch {
    return target;
  }
}

/**
 * The Tuya headers of `request` signed as `kind` says, over `wireTarget` (the target as the
 * transport will send it) and the body bytes. Token calls (`/v1.0/token…`) sign without the access token.
 */
export function tuyaHeaders(
  request: Pick<FuzzRequest, 'method' | 'body' | 'index'>,
  wireTarget: string,
  kind: TuyaKind,
  project: TuyaProjectCredentials,
): [string, string][] {
  if (kind === 'no-headers') return [];
  const tokenCall = wireTarget.startsWith('/v1.0/token');
  const accessToken = tokenCall
    ? ''
    : kind === 'bad-token'
      ? 'ffffffffffffffffffffffffffffffff'
      : project.accessToken;
  const t = kind === 'bad-t' ? '1e12' : String(kind === 'stale-t' ? Date.now() - 3_600_000 : Date.now());
  const nonce = kind === 'valid-nonce' ? `fuzz-nonce-${request.index}-${t}` : '';
  const clientId = kind === 'unknown-client' ? 'unknownclient001' : project.clientId;
  const bodyHash = createHash('sha256')
    .update(request.body ?? Buffer.alloc(0))
    .digest('hex');
  const url = kind === 'valid-sorted' ? tuyaSortedUrl(wireTarget) : tuyaSignedUrl(wireTarget);
  const stringToSign = [request.method.toUpperCase(), bodyHash, '', url].join('\n');
  let sign = hmacUpper(`${clientId}${accessToken}${t}${nonce}${stringToSign}`, project.secret);
  if (kind === 'legacy') sign = hmacUpper(`${clientId}${accessToken}${t}`, project.secret);
  if (kind === 'bad-sign') sign = 'A'.repeat(64);
  if (kind === 'lowercase-sign') sign = sign.toLowerCase();
  const headers: [string, string][] = [
    ['client_id', clientId],
    ['t', t],
    ['sign_method', kind === 'md5' ? 'MD5' : 'HMAC-SHA256'],
  ];
  if (kind !== 'no-sign') headers.push(['sign', sign]);
  if (!tokenCall && kind !== 'no-token') headers.push(['access_token', accessToken]);
  if (nonce !== '') headers.push(['nonce', nonce]);
  return headers;
}
