import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a signature covers, as the request arrived. */
export interface SignedRequest {
  method: string;
  /** Path and query exactly as received, still percent-encoded. */
  rawUrl: string;
  rawBody: Buffer;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
}

/** Who signs and with what: the token is empty on token calls; the nonce is optional. */
export interface SignatureContext {
  clientId: string;
  accessToken: string;
  t: string;
  nonce: string;
}

/**
 * The strings a correct client may have signed with Tuya's current algorithm:
 * `client_id + access_token + t + nonce + stringToSign`, where stringToSign is
 * `METHOD\nsha256(body)\nheaders\nurl`. Tuya's clients differ in two details, so each is tried:
 * the URL is either the received one percent-decoded (the official Node SDK) or the decoded
 * parameters sorted by name (Tuya's documentation), and the headers block is either the headers
 * named in Signature-Headers or empty (the Node SDK names headers but signs none).
 */
export function currentSignatureInputs(request: SignedRequest, context: SignatureContext): string[] {
  const bodyHash = createHash('sha256').update(request.rawBody).digest('hex');
  const urls = new Set(
    [decodedUrl(request.rawUrl), sortedUrl(request.rawUrl)].filter((url) => url !== undefined),
  );
  const headerBlocks = new Set(['', signedHeaderBlock(request.headers)]);
  const prefix = `${context.clientId}${context.accessToken}${context.t}${context.nonce}`;
  const inputs: string[] = [];
  for (const url of urls) {
    for (const headers of headerBlocks) {
      inputs.push(`${prefix}${[request.method.toUpperCase(), bodyHash, headers, url].join('\n')}`);
    }
  }
  return inputs;
}

/** The legacy signature's input: `client_id + access_token + t` (method, URL and body unsigned). */
export function legacySignatureInput(context: SignatureContext): string {
  return `${context.clientId}${context.accessToken}${context.t}`;
}

/** True when `sign` is the upper-case hex HMAC-SHA256 of one of `inputs`; compared in constant time. */
export function signatureMatches(secret: string, sign: string, inputs: readonly string[]): boolean {
  const given = Buffer.from(sign, 'utf8');
  let matched = false;
  for (const input of inputs) {
    const expected = Buffer.from(
      createHmac('sha256', secret).update(input, 'utf8').digest('hex').toUpperCase(),
    );
    // Every candidate is compared, so the time taken does not tell which one (if any) matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

/**
 * A `+` in the query is a space, as the query parser reads it; signing checks the same text that
 * runs. (The Node SDK writes spaces as %20 and `+` as %2B, so it never sends a bare `+`.)
 */
function queryPlusAsSpace(rawUrl: string): string {
  const queryStart = rawUrl.indexOf('?');
  return queryStart === -1
    ? rawUrl
    : rawUrl.slice(0, queryStart) + rawUrl.slice(queryStart).replaceAll('+', '%20');
}

function decodedUrl(rawUrl: string): string | undefined {
  try {
    return decodeURIComponent(queryPlusAsSpace(rawUrl));
  } catch {
    return undefined;
  }
}

function sortedUrl(rawUrl: string): string | undefined {
  const [path = '', query = ''] = queryPlusAsSpace(rawUrl).split(/\?(.*)/s);
  try {
    const pairs = query
      .split('&')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const [name = '', value = ''] = pair.split(/=(.*)/s);
        return [decodeURIComponent(name), decodeURIComponent(value)] as const;
      })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const decodedPath = decodeURIComponent(path);
    return pairs.length === 0
      ? decodedPath
      : `${decodedPath}?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`;
  } catch {
    return undefined;
  }
}

function signedHeaderBlock(headers: SignedRequest['headers']): string {
  const names = String(headers['signature-headers'] ?? '')
    .split(':')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.map((name) => `${name}:${String(headers[name.toLowerCase()] ?? '')}\n`).join('');
}
