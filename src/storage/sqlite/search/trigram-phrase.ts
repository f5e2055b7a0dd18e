/** An FTS5 query matching `term` as one substring (a quoted phrase; quotes doubled). */
export function trigramPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
