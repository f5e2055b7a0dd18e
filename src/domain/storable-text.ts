/**
 * Text both stores hold alike. PostgreSQL cannot store NUL in `text` (SQLite can), and neither can
 * store an unpaired UTF-16 surrogate as UTF-8 (each would silently replace it). Such text is refused,
 * never changed: a stored record is what the client sent, or nothing.
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Cheap first look: most text has neither NUL nor any surrogate (pairs included). */
const SUSPECT = /[\0\uD800-\uDFFF]/;

/** What storable text is, in the words of an error message. */
export const STORABLE_TEXT_RULE = 'text without NUL characters or unpaired UTF-16 surrogates';

/** True when `text` holds no NUL character and no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !SUSPECT.test(text) || !UNSTORABLE.test(text);
}

/**
 * The path (property names and array indexes, outermost first) of the first string in `value` that
 * is not storable, or undefined when there is none. Walks arrays and plain objects depth-first.
 */
export function findUnstorableText(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : [];
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const inner = findUnstorableText(value[index]);
      if (inner !== undefined) return [index, ...inner];
    }
    return undefined;
  }
  // for…in rather than Object.entries: a 10,000-record batch would allocate 150,000 pairs.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = findUnstorableText((value as Record<string, unknown>)[key]);
    if (inner !== undefined) return [key, ...inner];
  }
  return undefined;
}
