/**
 * Text both stores hold alike. PostgreSQL cannot store NUL in `text` (SQLite can), and neither can
 * store an unpaired UTF-16 surrogate as UTF-8 (each would silently replace it). Such text is refused,
 * never changed: a stored record is what the client sent, or nothing.
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What storable text is, in the words of an error message. */
export const STORABLE_TEXT_RULE = 'text without NUL characters or unpaired UTF-16 surrogates';

/** True when `text` holds no NUL character and no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
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
  for (const [key, item] of Object.entries(value)) {
    const inner = findUnstorableText(item);
    if (inner !== undefined) return [key, ...inner];
  }
  return undefined;
}
