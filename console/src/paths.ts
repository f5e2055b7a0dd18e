import { KINDS, isKind, type Kind } from './kinds';

/** Where the console is served. */
export const BASE = '/console';
export const SIGN_IN_PATH = `${BASE}/sign-in`;

/** The path of a view. */
export function viewPath(kind: Kind): string {
  return `${BASE}/${kind}`;
}

/** The first view, where the console opens. */
export const FIRST_VIEW = viewPath(KINDS[0]);

/** The view `path` shows, or undefined (the sign-in page, /console itself, an unknown path). */
export function kindOfPath(path: string): Kind | undefined {
  const segment = path.startsWith(`${BASE}/`) ? path.slice(BASE.length + 1).replace(/\/$/, '') : '';
  return isKind(segment) ? segment : undefined;
}
