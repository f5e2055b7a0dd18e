/**
 * How the streams view words a stream's figures: where its destination is (never a secret), bytes
 * and durations for a person to read, in the viewer's language.
 */
import type { StreamDestination } from './api/types';
import type { I18n } from './i18n/i18n-context';

/** A string setting of `destination`, or undefined when absent or not a string. */
function text(destination: StreamDestination, field: string): string | undefined {
  const value = destination[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * An http(s) URL without its query string: the API shows the URL whole, but a receiver's URL may
 * carry a token in its query (sealog's own error messages never quote it either), and a page is
 * seen over shoulders and in screenshots. `?…` says that a query was left out.
 */
export function urlWithoutQuery(value: string): string {
  try {
    const url = new URL(value);
    // Credentials are refused by the API; dropped here too should an older stream hold them.
    const shown = `${url.protocol}//${url.host}${url.pathname}`;
    return url.search === '' ? shown : `${shown}?…`;
  } catch {
    return value.split('?')[0] ?? '';
  }
}

/**
 * Where a destination delivers, read from the settings that say so and from no other: a webhook's
 * or Splunk HEC's URL, a syslog server's host:port (and transport), NATS servers. Secret settings
 * (signing secrets, headers, tokens, passwords, creds) are never read.
 */
export function destinationTarget(destination: StreamDestination): string {
  switch (destination.type) {
    case 'webhook':
    case 'splunk-hec': {
      const url = text(destination, 'url');
      return url === undefined ? '' : urlWithoutQuery(url);
    }
    case 'syslog': {
      const host = text(destination, 'host') ?? '';
      const port = destination.port;
      const transport = text(destination, 'transport');
      const address = typeof port === 'number' ? `${host}:${port}` : host;
      return transport === undefined ? address : `${address} (${transport})`;
    }
    case 'nats': {
      const servers = destination.servers;
      // Server URLs hold no credentials (the API refuses them): host and port only.
      const list = Array.isArray(servers) ? servers : [servers];
      return list.filter((server): server is string => typeof server === 'string').join(', ');
    }
    default:
      // A type this console does not know: its settings may be secret, so none is shown.
      return '';
  }
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `bytes` in binary units for a person: 0 B, 512 B, 1.5 KiB, 23 MiB. */
export function humanBytes(bytes: number, language: string): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value);
  return `${number} ${BYTE_UNITS[unit] ?? 'B'}`;
}

/** A count with the language's grouping: 12,345 (the API's integers). */
export function humanCount(count: number, language: string): string {
  return new Intl.NumberFormat(language).format(count);
}

const DURATION_UNITS = [
  ['duration.d', 86_400],
  ['duration.h', 3_600],
  ['duration.min', 60],
  ['duration.s', 1],
] as const;

/**
 * `seconds` as its two largest units, as lag is read at a glance: 45 s, 2 min 5 s, 3 h 20 min,
 * 2 d 4 h. Smaller units are dropped, never rounded up (a lag is never shown as worse than it is).
 */
export function humanDuration(seconds: number, t: I18n['t']): string {
  let rest = Math.max(0, Math.floor(seconds));
  const counts = DURATION_UNITS.map(([id, size]) => {
    const count = Math.floor(rest / size);
    rest -= count * size;
    return { id, count };
  });
  const first = counts.findIndex(({ count }) => count > 0);
  if (first === -1) return t('duration.s', { n: 0 });
  // The largest unit and the next one, unless that is zero ("2 h 0 min" reads as noise).
  return counts
    .slice(first, first + 2)
    .filter(({ count }, index) => index === 0 || count > 0)
    .map(({ id, count }) => t(id, { n: count }))
    .join(' ');
}
