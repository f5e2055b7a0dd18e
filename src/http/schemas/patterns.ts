/** `YYYY-MM-DD`; whether the day exists is checked by the domain. */
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
/** Ids and tenant ids: 1 to 128 visible ASCII characters. */
export const IDENTIFIER_PATTERN = '^[\\x21-\\x7E]{1,128}$';

/** How each pattern reads in an error message. */
export const PATTERN_PHRASES: Record<string, string> = {
  [DATE_PATTERN]: 'a date as YYYY-MM-DD, e.g. 2026-05-15',
  [IDENTIFIER_PATTERN]: '1 to 128 visible ASCII characters (no spaces)',
};
