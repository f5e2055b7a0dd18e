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

/** A signed Tuya client of one server: fetches a token once, then signs each operate-logs GET. */
export async function tuyaClient(baseUrl: string) {
  const credentials = { clientId: TUYA_CLIENT, secret: TUYA_SECRET };
  const tokenRequest = signedRequest('/v1.0/token', { ...credentials, query: { grant_type: '1' } });
  const tokenResponse = await fetch(baseUrl + tokenRequest.url, { headers: tokenRequest.headers });
  const tokenBody = (await tokenResponse.json()) as { result?: { access_token: string } };
  const accessToken = tokenBody.result?.access_token;
  if (accessToken === undefined) throw new Error(`Tuya token: ${JSON.stringify(tokenBody)}`);
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
