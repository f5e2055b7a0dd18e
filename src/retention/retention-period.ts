/** How long something is kept: a whole number of days or hours, or forever. */
export type RetentionPeriod =
  { readonly unit: 'd' | 'h'; readonly count: number } | { readonly unit: 'forever' };

/** The longest period in days (a century); in hours the same span. */
export const MAX_PERIOD_DAYS = 36_500;
export const MAX_PERIOD_HOURS = MAX_PERIOD_DAYS * 24;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The forms a period may take, for messages that refuse one. */
export const PERIOD_FORMS = `<n>d (days, 1 to ${MAX_PERIOD_DAYS}), <n>h (hours, 1 to ${MAX_PERIOD_HOURS}) or forever`;

/** Kept forever: never purged. */
export const FOREVER: RetentionPeriod = { unit: 'forever' };

/**
 * Parses `<n>d`, `<n>h` or `forever` (lower case, no spaces; n a positive integer without leading
 * zeros, at most a century). Undefined for anything else: the caller says what was wrong where.
 */
export function parsePeriod(text: string): RetentionPeriod | undefined {
  if (text === 'forever') return FOREVER;
  const match = /^([1-9]\d{0,5})([dh])$/.exec(text);
  if (match === null) return undefined;
  const count = Number(match[1]);
  const unit = match[2] === 'd' ? 'd' : 'h';
  if (count > (unit === 'd' ? MAX_PERIOD_DAYS : MAX_PERIOD_HOURS)) return undefined;
  return { unit, count };
}

/** The period as parsePeriod reads it: `180d`, `12h`, `forever`. */
export function formatPeriod(period: RetentionPeriod): string {
  return period.unit === 'forever' ? 'forever' : `${period.count}${period.unit}`;
}

/** The period in ms, for a purge to compare record times with; undefined for forever. */
export function periodMs(period: RetentionPeriod): number | undefined {
  if (period.unit === 'forever') return undefined;
  return period.count * (period.unit === 'd' ? DAY_MS : HOUR_MS);
}

/** True when `period` keeps things longer than `other` (forever is longer than any span). */
export function isLonger(period: RetentionPeriod, other: RetentionPeriod): boolean {
  return (periodMs(period) ?? Infinity) > (periodMs(other) ?? Infinity);
}

/** The shorter of two periods (the first when they are as long). */
export function shorterOf(period: RetentionPeriod, other: RetentionPeriod): RetentionPeriod {
  return isLonger(period, other) ? other : period;
}
