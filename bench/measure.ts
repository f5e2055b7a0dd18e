import { createHash, createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { signedRequest } from '../test/helpers/tuya-signing.js';

/** Latency percentiles of one timed request, in ms. */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  samples: number;
}

/** Percentiles of samples (ms), nearest-rank. */
export function percentiles(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    p50: round(at(50)),
    p95: round(at(95)),
    p99: round(at(99)),
    mean: round(sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length)),
    samples: sorted.length,
  };
}

/** Runs `request` `warmup` times untimed, then `iterations` times one after another; its latencies. */
export async function timeRequests(
  request: () => Promise<void>,
  iterations: number,
  warmup = 5,
): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await request();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await request();
    samples.push(performance.now() - started);
  }
  return percentiles(samples);
}

/** The HS256 secret of the benchmarked servers. */
export const BENCH_SECRET = 'bench-secret-of-at-least-thirty-two-bytes';
/** The bench's Tuya project, in TUYA_CLIENTS of every server under test (tenant BIG_TENANT). */
export const TUYA_CLIENT = 'benchclient00001';
export const TUYA_SECRET = 'bench-tuya-secret-0123456789';

export async function mintToken(claims: Record<string, unknown>, sub: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('4h')
    .sign(new TextEncoder().encode(BENCH_SECRET));
}

/** GETs `path` with a bearer token; throws unless 200. */
export async function getJson(
  baseUrl: string,
  path: string,
  token: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A Tuya access token of the bench project, issued by the server at `baseUrl` (GET /v1.0/token). */
export async function tuyaAccessToken(baseUrl: string): Promise<string> {
  const request = signedRequest('/v1.0/token', {
    clientId: TUYA_CLIENT,
    secret: TUYA_SECRET,
    query: { grant_type: '1' },
  });
  const response = await fetch(baseUrl + request.url, { headers: request.headers });
  const body = (await response.json()) as { result?: { access_token: string } };
  const accessToken = body.result?.access_token;
  if (accessToken === undefined) throw new Error(`Tuya token: ${JSON.stringify(body)}`);
  return accessToken;
}

/** A signed Tuya client of one server: fetches a token once, then signs each operate-logs GET. */
export async function tuyaClient(baseUrl: string) {
  const credentials = { clientId: TUYA_CLIENT, secret: TUYA_SECRET };
  const accessToken = await tuyaAccessToken(baseUrl);
  return async (query: Record<string, string>) => {
    const request = signedRequest('/v1.0/iot-03/audit/operate-logs', { ...credentials, accessToken, query });
    const response = await fetch(baseUrl + request.url, { headers: request.headers });
    const body = (await response.json()) as {
      success: boolean;
      result?: { list: unknown[]; has_more: boolean; last_row_key: string };
    };
    if (!body.success || body.result === undefined)
      throw new Error(`Tuya ${JSON.stringify(query)}: ${JSON.stringify(body)}`);
    return body.result;
  };
}

/**
 * The body @tuya/tuya-connector-nodejs 2.1.2 sends with every business GET: its `body` defaults to
 * `{}`, which axios serializes, and the sign covers its SHA-256 (docs/tuya-protocol.md §2).
 */
export const TUYA_SDK_GET_BODY = '{}';
const SDK_GET_BODY_SHA256 = createHash('sha256').update(TUYA_SDK_GET_BODY).digest('hex');

/**
 * A business GET of `path` with `query` as the official Node SDK (2.1.2, `getSignHeaders` in
 * lib/core/client.js) sends it: the wire path with the query sorted by key and encoded, and its
 * headers. The sign is HMAC-SHA256(client_id + access_token + t + stringToSign) over the decoded
 * URL; the SDK sends no nonce (so the server remembers none) and an empty `Signature-Headers`.
 * `nowMs` (epoch ms) becomes `t`: sign each request when it is sent.
 */
export function tuyaSdkRequest(
  path: string,
  query: Record<string, string>,
  accessToken: string,
  nowMs = Date.now(),
): { path: string; headers: Record<string, string> } {
  const pairs = Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedUrl = pairs.length === 0 ? path : `${path}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  const wire = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  const t = String(nowMs);
  const stringToSign = ['GET', SDK_GET_BODY_SHA256, '', signedUrl].join('\n');
  const sign = createHmac('sha256', TUYA_SECRET)
    .update(TUYA_CLIENT + accessToken + t + stringToSign, 'utf8')
    .digest('hex')
    .toUpperCase();
  return {
    path: wire.length === 0 ? path : `${path}?${wire.join('&')}`,
    headers: {
      // What axios 0.21.4 adds, then the SDK's own headers, as the SDK sends them.
      accept: 'application/json, text/plain, */*',
      'content-type': 'application/json',
      'user-agent': 'axios/0.21.4',
      t,
      sign,
      client_id: TUYA_CLIENT,
      sign_method: 'HMAC-SHA256',
      access_token: accessToken,
      Dev_lang: 'Nodejs',
      Dev_channel: 'SaaSFramework',
      'Signature-Headers': '',
    },
  };
}
