/**
 * The HTTP core of the webhook and Splunk HEC destinations: one POST with Node's fetch, bounded in
 * time, and what its outcome means for the stream (delivered, retry, or pause as a configuration
 * error). Messages name the receiver by its origin only: a URL's path or query may hold a token.
 *
 * There is no option to trust a private CA per destination: with Node's built-in fetch that takes
 * an undici Agent (`dispatcher` with `connect: { ca }`), and Node does not expose undici's Agent
 * without the `undici` package (only through an internal global symbol). A private CA is trusted
 * process-wide with NODE_EXTRA_CA_CERTS instead.
 */
import { STATUS_CODES } from 'node:http';
import { DeliveryError } from './destination.js';

/** A POST to make. */
export interface HttpPost {
  /** An absolute http: or https: URL without credentials (checked when the destination is configured). */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The body's bytes (a Buffer rather than a string: fetch would scan a string for lone surrogates). */
  readonly body: Buffer;
  /** Gives up after this many ms, counted from the start of the request to the end of its answer. */
  readonly timeoutMs: number;
  /** What the receiver is called in messages, e.g. `webhook receiver`. */
  readonly receiver: string;
  /** Strings never quoted in a message (the destination's secrets), should the receiver echo them. */
  readonly secrets: readonly string[];
}

const encoder = new TextEncoder();

/**
 * `text` as UTF-8 bytes, for a body. TextEncoder rather than Buffer.from: on a batch holding
 * non-Latin-1 text (a two-byte string) it is about three times faster (Node 20), and a batch's
 * encoding is a cost every streamed event pays. The Buffer shares the encoder's memory (no copy).
 */
export function utf8Body(text: string): Buffer {
  const bytes = encoder.encode(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The receiver's answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The first BODY_LIMIT bytes of the body, as UTF-8 text; '' when it could not be read. */
  readonly body: string;
}

/** Bytes of an answer's body read at most: enough for any acknowledgement, bounded for a hostile one. */
const BODY_LIMIT = 64 * 1024;
/** Characters of an answer's body quoted in a message at most. */
const EXCERPT_LIMIT = 200;

/**
 * Certificate verification failures (Node's TLS error codes): a configuration error, not a
 * network one, since retrying meets the same certificate.
 */
const CERTIFICATE_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/**
 * POSTs `post.body` and resolves with the answer, whatever its status (redirects are not
 * followed: a signature or token would go to whichever host the Location names). Rejects with a
 * retryable DeliveryError when the receiver cannot be reached, resets the connection, does not
 * answer within `post.timeoutMs`, or `signal` aborts; with a non-retryable one when its
 * certificate does not verify or the request cannot be built.
 */
export async function postHttp(post: HttpPost, signal: AbortSignal): Promise<HttpAnswer> {
  // One controller for both causes rather than AbortSignal.any with AbortSignal.timeout: the timer
  // and the listener on the deliverer's long-lived signal go as soon as the POST ends, instead of
  // living until the timeout fires. The abort reason tells the timeout from the deliverer's stop.
  const controller = new AbortController();
  const timeout = new Error('timeout');
  const timer = setTimeout(() => {
    controller.abort(timeout);
  }, post.timeoutMs);
  const stop = (): void => {
    controller.abort();
  };
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  try {
    const response = await fetch(post.url, {
      method: 'POST',
      headers: post.headers,
      body: post.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    return { status: response.status, headers: response.headers, body: await readBody(response) };
  } catch (error) {
    const where = `${post.receiver} at ${post.url.origin}`;
    if (controller.signal.reason === timeout) {
      throw new DeliveryError(`${where} did not answer within ${post.timeoutMs} ms`, true);
    }
    if (signal.aborted) throw new DeliveryError(`delivery to ${where} was aborted`, true);
    throw networkError(where, error);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

/**
 * What a non-2xx `answer` means, undefined for a 2xx. 408, 429 and 5xx are retryable (with the
 * answer's Retry-After, if any); 3xx and any other 4xx are configuration errors. The message names
 * the status and quotes `detail`, else at most 200 characters of the body (secrets replaced).
 */
export function statusError(post: HttpPost, answer: HttpAnswer, detail?: string): DeliveryError | undefined {
  const { status } = answer;
  if (status >= 200 && status <= 299) return undefined;
  const said = detail ?? excerpt(answer.body, post.secrets);
  const answered =
    `${post.receiver} at ${post.url.origin} answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
  const quoted = said === '' ? '' : `: ${said}`;
  if (status === 408 || status === 429 || status >= 500) {
    return new DeliveryError(
      `${answered}${quoted}`,
      true,
      status,
      retryAfterMs(answer.headers.get('retry-after')),
    );
  }
  if (status >= 300 && status <= 399) {
    const location = redirectTarget(answer.headers.get('location'), post.url);
    return new DeliveryError(
      `configuration error: ${answered}${location}, and redirects are not followed (they could carry ` +
        'the signature or token to another host): configure the final URL',
      false,
      status,
    );
  }
  return new DeliveryError(`configuration error: ${answered}${quoted}`, false, status);
}

/**
 * `text` as a message may quote it: whitespace and control characters collapsed to one space,
 * each of `secrets` replaced by `[redacted]`, at most 200 characters (then `…`).
 */
export function excerpt(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret !== '') clean = clean.split(secret).join('[redacted]');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
  clean = clean.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > EXCERPT_LIMIT ? `${clean.slice(0, EXCERPT_LIMIT)}…` : clean;
}

/**
 * A Retry-After header in ms: delay-seconds, or an HTTP date (0 when past); undefined when absent
 * or unreadable. Not capped here: the deliverer bounds it by its own back-off.
 */
export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Checks that `text` is an absolute http(s) URL without credentials, returning it parsed; throws
 * an Error naming `field` otherwise (the caller wraps it as its input error). The URL is not
 * quoted: it may hold a token.
 */
export function httpUrl(field: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${field} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${field} must be an http: or https: URL, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(
      `${field} must not hold credentials (user:password@): they would be sent in the clear to any proxy`,
    );
  }
  if (url.hash !== '') throw new Error(`${field} must not have a #fragment`);
  return url;
}

/** At most BODY_LIMIT bytes of `response`'s body as text; what was read when reading fails. */
async function readBody(response: Response): Promise<string> {
  if (response.body === null) return '';
  // undici's body yields bytes; the DOM typing says any.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
  } catch {
    // The status is the acknowledgement; a body cut short only shortens the quote.
  }
  return text;
}

/** A fetch that failed without an answer, as a DeliveryError. */
function networkError(where: string, error: unknown): DeliveryError {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason = typeof cause?.message === 'string' ? cause.message : undefined;
  // The Fetch standard blocks ports of other protocols (25, 6000, …) before connecting.
  if (reason === 'bad port') {
    return new DeliveryError(
      `configuration error: fetch refuses the port of ${where} (a port of another protocol)`,
      false,
    );
  }
  if (code !== undefined && CERTIFICATE_ERRORS.has(code)) {
    return new DeliveryError(
      `configuration error: the TLS certificate of ${where} does not verify (${code}); ` +
        'trust its CA with NODE_EXTRA_CA_CERTS or give the receiver a publicly trusted certificate',
      false,
    );
  }
  // fetch rejects with a TypeError without a cause when the request itself is invalid (a header it
  // refuses): retrying would build the same request.
  if (error instanceof TypeError && cause === undefined) {
    return new DeliveryError(
      `configuration error: the request to ${where} is invalid (${error.message})`,
      false,
    );
  }
  return new DeliveryError(
    `${where} could not be reached (${code ?? reason ?? (error instanceof Error ? error.message : 'error')})`,
    true,
  );
}

/** `, redirecting to <origin><path>` for a Location header (its query left out: it may hold a token). */
function redirectTarget(location: string | null, base: URL): string {
  if (location === null) return '';
  try {
    const target = new URL(location, base);
    return `, redirecting to ${target.origin}${target.pathname}`;
  } catch {
    return '';
  }
}
