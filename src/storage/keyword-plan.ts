/**
 * How a key_words search is answered, the same rule on every store: terms too short for trigrams
 * and common terms walk the time index and stop after `size` matches; rare terms go through the
 * trigram index and sort their few matches.
 */

/** Terms shorter than this many characters cannot use a trigram index. */
export const TRIGRAM_LENGTH = 3;
/**
 * A term with at least this many indexed matches is "common": walking the time index and stopping
 * at `size` matches is then cheaper than sorting every match.
 */
export const COMMON_TERM_MATCHES = 2000;

/** How one key_words query is answered. */
export type KeywordPlan = 'scan-time-index' | 'trigram-index';

/** Whether `term` is shorter than a trigram, so that no trigram index can serve it. */
export function isTooShort(term: string): boolean {
  return Array.from(term).length < TRIGRAM_LENGTH;
}

function planForMatches(matches: number): KeywordPlan {
  return matches >= COMMON_TERM_MATCHES ? 'scan-time-index' : 'trigram-index';
}

/** The plan for a term; `countIndexedMatches(cap)` counts index matches, stopping at `cap`. */
export function chooseKeywordPlan(term: string, countIndexedMatches: (cap: number) => number): KeywordPlan {
  return isTooShort(term) ? 'scan-time-index' : planForMatches(countIndexedMatches(COMMON_TERM_MATCHES));
}

/** chooseKeywordPlan for stores whose index is counted asynchronously. */
export async function chooseKeywordPlanAsync(
  term: string,
  countIndexedMatches: (cap: number) => Promise<number>,
): Promise<KeywordPlan> {
  return isTooShort(term)
    ? 'scan-time-index'
    : planForMatches(await countIndexedMatches(COMMON_TERM_MATCHES));
}

/** A LIKE pattern matching `term` anywhere, with `%`, `_` and `\` taken literally (ESCAPE '\'). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
