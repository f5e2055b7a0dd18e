/**
 * CHECKPOINT_URL: a checkpoint note POSTed as text/plain, published when answered 2xx, retried
 * with back-off otherwise. Failures are described without the URL, which may hold credentials.
 */
import { ConfigError } from '../../config.js';

/** Where notes are POSTed: the URL without credentials, and the headers that carry them. */
export interface CheckpointReceiver {
  url: string;
  headers: Record<string, string>;
}

/**
 * The delay before POST attempt `attempts` + 1 after `attempts` (≥ 1) failures, in ms: 1 s doubling
 * up to 5 min, of which a random second half (equal jitter, so retries of many processes spread).
 */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(300_000, 1_000 * 2 ** Math.min(Math.max(attempts, 1) - 1, 20));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * The receiver of CHECKPOINT_URL `text`: credentials in it (`https://user:pass@…`), which fetch
 * refuses in a URL, move to an HTTP Basic authorization header. Throws ConfigError on anything
 * but an absolute http(s) URL, without quoting it.
 */
export function receiverOf(text: string): CheckpointReceiver {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('CHECKPOINT_URL', 'is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('CHECKPOINT_URL', `must be http or https, not ${url.protocol}`);
  }
  const headers: Record<string, string> = {};
  if (url.username !== '' || url.password !== '') {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url: url.href, headers };
}

/**
 * POSTs `note` to `receiver`: undefined when answered 2xx (redirects are not followed: a 3xx is a
 * failure), else why not, as a phrase following "CHECKPOINT_URL". Gives up after `timeoutMs` ms or
 * when `stop` aborts (the caller tells that apart by its own state). Never rejects.
 */
export async function postNote(
  receiver: CheckpointReceiver,
  note: string,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<string | undefined> {
  try {
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...receiver.headers, 'content-type': 'text/plain; charset=utf-8' },
      body: note,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status <= 299 ? undefined : `answered ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const name = error instanceof Error ? error.name : 'error';
    return name === 'TimeoutError'
      ? `did not answer within ${timeoutMs} ms`
      : `could not be reached (${typeof cause === 'string' ? cause : name})`;
  }
}
