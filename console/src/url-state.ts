/**
 * The console's routing without a router library: the location is read through
 * useSyncExternalStore, moved with history.pushState (or replaceState), and the back button's
 * popstate re-renders whatever reads it.
 */
import { useMemo, useSyncExternalStore } from 'react';

const NAVIGATE_EVENT = 'sealog:navigate';

/** Where the console is: its path and its query. */
export interface ConsoleLocation {
  path: string;
  query: URLSearchParams;
  /** The query string with its '?', or ''. */
  search: string;
  /** When the console first saw this location (epoch ms): "now" for ranges relative to it. */
  at: number;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

const currentHref = () => `${location.pathname}${location.search}`;

let seen: { href: string; at: number } = { href: '', at: 0 };

/** The location as last seen, the same object until the address changes (as useSyncExternalStore needs). */
function snapshot(): { href: string; at: number } {
  const href = currentHref();
  if (href !== seen.href) seen = { href, at: Date.now() };
  return seen;
}

/** The current location; re-renders on navigate() and on back/forward. */
export function useLocation(): ConsoleLocation {
  const { href, at } = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => {
    const url = new URL(href, location.origin);
    return { path: url.pathname, query: url.searchParams, search: url.search, at };
  }, [href, at]);
}

/** Goes to `path` with `query` (empty values left out): a new history entry unless `replace`. */
export function navigate(
  path: string,
  query: URLSearchParams = new URLSearchParams(),
  options: { replace?: boolean } = {},
): void {
  const text = query.toString();
  const target = text === '' ? path : `${path}?${text}`;
  if (target === currentHref()) return;
  if (options.replace === true) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}
