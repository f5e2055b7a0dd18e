import { createHash, createHmac } from 'node:crypto';

// Hand-signed Tuya requests: the reference algorithm of docs/tuya-protocol.md §4, nothing borrowed from src/.

/** A Tuya response body: the success envelope or the error envelope. */
export type TuyaBody = {
  success: boolean;
  t: number;
  code?: number;
  msg?: string;
  tid?: string;
  result?: unknown;
};
export type Strings = Record<string, string>;

const hmac = (text: string, secret: string) =>
  createHmac('sha256', secret).update(text, 'utf8').digest('hex').toUpperCase();
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const sortedPairs = (query: Strings) =>
  Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** `signedQuery`: the query the sign covers, when it differs from the one sent (tampering). */
export type SignOptions = { clientId: string; secret: string; accessToken?: string; nonce?: string } & {
  query?: Strings;
  signedQuery?: Strings;
};

/** A GET of `path` signed as Tuya's current algorithm prescribes: its URL (with query) and headers. */
export function signedRequest(path: string, options: SignOptions) {
  const { clientId, secret, accessToken = '', nonce = '', query = {} } = options;
  const t = String(Date.now());
  const signedPairs = sortedPairs(options.signedQuery ?? query);
  const signUrl =
    signedPairs.length === 0 ? path : `${path}?${signedPairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  const wire = sortedPairs(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  const stringToSign = ['GET', EMPTY_SHA256, '', signUrl].join('\n');
  const headers: Strings = {
    client_id: clientId,
    t,
    sign_method: 'HMAC-SHA256',
    sign: hmac(clientId + accessToken + t + nonce + stringToSign, secret),
  };
  if (accessToken !== '') headers.access_token = accessToken;
  if (nonce !== '') headers.nonce = nonce;
  return { url: wire.length === 0 ? path : `${path}?${wire.join('&')}`, headers };
}

/** Sends a signed request; the status and the parsed body. */
export async function send(baseUrl: string, request: { url: string; headers: Strings }) {
  const response = await fetch(baseUrl + request.url, { headers: request.headers });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as TuyaBody,
  };
}
