import { KINDS, isKind, type Kind } from './kinds';

/** Where the console is served. */
export const BASE = '/console';
export const SIGN_IN_PATH = `${BASE}/sign-in`;

/** The streams view's URL segment: beside the log views, not a log kind. */
export const STREAMS_VIEW = 'streams';

/** A view of the console: one of the log views, or the streams view. */
export type ViewId = Kind | typeof STREAMS_VIEW;

/** The path of a view. */
export function viewPath(view: ViewId): string {
  return `${BASE}/${view}`;
}

/** The first view, where the console opens. */
export const FIRST_VIEW = viewPath(KINDS[0]);

/** The view `path` shows, or undefined (the sign-in page, /console itself, an unknown path). */
export function viewOfPath(path: string): ViewId | undefined {
  const segment = path.startsWith(`${BASE}/`) ? path.slice(BASE.length + 1).replace(/\/$/, '') : '';
  return isKind(segment) || segment === STREAMS_VIEW ? segment : undefined;
}
