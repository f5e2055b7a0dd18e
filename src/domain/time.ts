import { InvalidInputError } from './errors.js';
const MS_PER_DAY = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** '00'…'99', so that formatting a time concatenates instead of padding. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/**
 * Formats epoch milliseconds as RFC 3339 in UTC, the way Go's `time.RFC3339Nano` does (the AuthMS
 * reference is a Go service): whole seconds have no fraction (`2026-04-15T10:00:00Z`), otherwise
 * trailing zeros of the fraction are dropped (`…:00.5Z`). Every listed row formats several times, so
 * years 0–9999 are assembled from the date's fields (about 10× faster than through toISOString and
 * a regular expression); other years (`+010000-…`, `-000001-…`) and invalid times go the slow way and
 * come out exactly as toISOString has them (a RangeError for an invalid time).
 */
export function formatRfc3339(epochMs: number): string {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return formatRfc3339ViaIso(epochMs);
  const ms = date.getUTCMilliseconds();
  const fraction =
    ms === 0
      ? ''
      : ms % 100 === 0
        ? `.${ms / 100}`
        : ms % 10 === 0
          ? `.${TWO_DIGITS[ms / 10]}`
          : `.${String(ms).padStart(3, '0')}`;
  return (
    `${TWO_DIGITS[Math.floor(year / 100)]}${TWO_DIGITS[year % 100]}-${TWO_DIGITS[date.getUTCMonth() + 1]}` +
    `-${TWO_DIGITS[date.getUTCDate()]}T${TWO_DIGITS[date.getUTCHours()]}:${TWO_DIGITS[date.getUTCMinutes()]}` +
    `:${TWO_DIGITS[date.getUTCSeconds()]}${fraction}Z`
  );
}

/** formatRfc3339 by way of toISOString, for the years the fast path does not cover. */
function formatRfc3339ViaIso(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_match, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/**
 * Parses an RFC 3339 timestamp with an explicit offset (`Z` or `±hh:mm`) into epoch milliseconds.
 * Returns undefined for anything else, including impossible dates such as February 30th.
 */
export function parseRfc3339(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    value,
  );
  if (!match) return undefined;
  const [, year, month, day] = match;
  if (parseUtcDate(`${year}-${month}-${day}`) === undefined) return undefined;
  const epochMs = Date.parse(value.replace(' ', 'T'));
  return Number.isFinite(epochMs) ? epochMs : undefined;
}

/**
 * Parses `YYYY-MM-DD` as the start of that day in UTC, in epoch milliseconds.
 * Returns undefined for other shapes and for days that do not exist (2026-02-30, 2026-13-01).
 */
export function parseUtcDate(value: string): number | undefined {
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const epochMs = Date.UTC(year, month - 1, day);
  const parsed = new Date(epochMs);
  const exists =
    parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
  return exists ? epochMs : undefined;
}

/** The first millisecond after the given UTC day, for inclusive end dates. */
export function endOfUtcDayExclusive(dayStartMs: number): number {
  return dayStartMs + MS_PER_DAY;
}

/**
 * The epoch ms of the query parameter `name` holding an RFC 3339 time, undefined when it is
 * absent; an InvalidInputError naming the parameter and an example when it is no such time.
 */
export function parseTimeParameter(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseRfc3339(value);
  if (parsed === undefined) {
    throw new InvalidInputError(
      `${name} must be an RFC 3339 time such as 2026-04-15T10:00:00Z (got "${value}")`,
    );
  }
  return parsed;
}
