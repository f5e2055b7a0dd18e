const MS_PER_DAY = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Formats epoch milliseconds as RFC 3339 in UTC, the way Go's `time.RFC3339Nano` does (the AuthMS
 * reference is a Go service): whole seconds have no fraction (`2026-04-15T10:00:00Z`), otherwise
 * trailing zeros of the fraction are dropped (`…:00.5Z`).
 */
export function formatRfc3339(epochMs: number): string {
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
