/**
 * The console's calls to sealog: same origin, authenticated by the session cookie (never a token
 * kept in the page). Every /v1 and /admin answer is the AuthMS envelope {code, message, data}; an
 * error answer becomes an ApiError, and a 401 anywhere also tells the app to show the sign-in page.
 */

/** An API error: the HTTP status and the server's message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The event fired on window when any call answers 401 (the session ended or never was): a
 * CustomEvent whose detail is an UnauthorizedDetail.
 */
export const UNAUTHORIZED_EVENT = 'sealog:unauthorized';

/** What a 401 event says: when its request was sent (performance.now(), ms). */
export interface UnauthorizedDetail {
  /** A 401 to a request sent before the latest sign-in says nothing of the new session. */
  sentAt: number;
}

/** Query parameters: absent and empty values are left out. */
export type Params = Readonly<Record<string, string | number | undefined>>;

/** `path` with `params` as its query string. */
export function withQuery(path: string, params: Params = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * The parsed JSON body `method path` answers. Throws ApiError on a non-2xx answer (with the
 * server's message when it sent one) and on a network failure (status 0).
 */
export async function callJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  const sentAt = performance.now();
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) {
      const detail: UnauthorizedDetail = { sentAt };
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail }));
    }
    const message =
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { message?: unknown }).message === 'string'
        ? (parsed as { message: string }).message
        : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

/** The `data` of the envelope `method path` answers ({code, message, data, timestamp}: the console's own routes and /v1/logs). */
export async function callApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await callJson<{ data: T }>(method, path, body)).data;
}

/** GET `path?params`'s data. */
export function getData<T>(path: string, params?: Params): Promise<T> {
  return callApi<T>('GET', withQuery(path, params));
}

/** GET `path?params`'s flat envelope: the members beside code and message (the integrity and AuthMS routes). */
export function getFlat<T>(path: string, params?: Params): Promise<T> {
  return callJson<T>('GET', withQuery(path, params));
}
