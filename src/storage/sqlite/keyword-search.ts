/** Terms shorter than this many characters cannot use a trigram index. */
export const TRIGRAM_LENGTH = 3;
/**
 * A term with at least this many indexed matches is "common": walking the time index and stopping
 * at `size` matches is then cheaper than sorting every match.
 */
export const COMMON_TERM_MATCHES = 2000;

/** How one key_words query is answered. */
export type KeywordPlan = 'scan-time-index' | 'trigram-index';

/** The plan for a term: scans for short and common terms, the trigram index for rare ones. */
export function chooseKeywordPlan(term: string, countIndexedMatches: (limit: number) => number): KeywordPlan {
  if (Array.from(term).length < TRIGRAM_LENGTH) return 'scan-time-index';
  return countIndexedMatches(COMMON_TERM_MATCHES) >= COMMON_TERM_MATCHES
    ? 'scan-time-index'
    : 'trigram-index';
}

/** A LIKE pattern matching `term` anywhere, with `%`, `_` and `\` taken literally (ESCAPE '\'). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** An FTS5 query matching `term` as one substring (a quoted phrase; quotes doubled). */
export function trigramPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
