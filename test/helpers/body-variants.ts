import {
  asBytes,
  BAD_DATE_TIMES,
  BROKEN_TEXTS,
  deep,
  hintValue,
  jsonText,
  OTHER_CONTENT_TYPES,
  RawJson,
  WRONG_TYPES,
  type FuzzBody,
  type JsonLike,
} from './body-fuzz.js';
import type { JsonSchema } from './openapi-routes.js';

// The bodies every body-taking route gets, whatever the seed: one valid document, then each of
// its properties replaced by each hostile value, every content type, every broken text.

/** Strings that break stores and encoders: NUL, lone surrogates, control characters, astral characters. */
const HOSTILE_STRINGS: readonly JsonLike[] = [
  ...[
    '',
    ' ',
    ' x ',
    'a\u0000b',
    '\u0000',
    '\uD800',
    'a\uDFFFb',
    '\uDBFF\uDFFF',
    '😀登录',
    '\u0001\u001f\u007f',
  ],
  ...['\r\n', '\u2028', '\uFEFF', '%', '_', '\\', "'", '__proto__', 'x'.repeat(4097)],
];

/** Integers as JSON can write them but no integer column should take. */
const HOSTILE_NUMBERS: readonly JsonLike[] = [
  ...[
    '1e309',
    '-1e309',
    '-0',
    '1.5',
    '1e3',
    '9007199254740993',
    '18446744073709551616',
    '1E400',
    '0.1e1',
  ].map((text) => new RawJson(text)),
  -1,
  253_402_300_800_000,
  'Infinity',
  '0x10',
];

const isObjectLike = (value: JsonLike): value is Record<string, JsonLike> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RawJson);

/** A valid document for `schema`: its required properties, hinted values first, else the first enum member. */
export function minimalDocument(schema: JsonSchema, hints: Record<string, readonly string[]>): JsonLike {
  const itemSchema = schema.type === 'array' ? (schema.items ?? {}) : schema;
  const item: Record<string, JsonLike> = {};
  for (const name of itemSchema.required ?? []) {
    const property = itemSchema.properties?.[name] ?? {};
    const hint = hints[name]?.[0];
    item[name] =
      (hint === undefined ? undefined : hintValue(property, hint)) ??
      (property.enum?.[0] as string | undefined) ??
      (property.format === 'date-time' ? '2026-05-01T10:00:00Z' : undefined) ??
      (property.type === 'integer' ? (property.minimum ?? 0) : 'x');
  }
  return schema.type === 'array' ? [item] : item;
}

/** `document` (an object, or an array of one object) with `name` set to `value` as an own key. */
function withProperty(document: JsonLike, name: string, value: JsonLike): JsonLike {
  const item = Array.isArray(document) ? document[0] : document;
  const copy: Record<string, JsonLike> = isObjectLike(item ?? null)
    ? { ...(item as Record<string, JsonLike>) }
    : {};
  Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
  return Array.isArray(document) ? [copy] : copy;
}

/**
 * Every body a route taking `schema` is sent regardless of the seed: the valid document in every
 * content type; each property set to each wrong type, hostile string, hostile number, over-long
 * string and malformed date; prototype keys; swapped array/object; nesting 1,000 to 20,000 deep;
 * truncations; every broken text; NDJSON.
 */
export function bodyVariants(schema: JsonSchema, hints: Record<string, readonly string[]>): FuzzBody[] {
  const document = minimalDocument(schema, hints);
  const text = jsonText(document);
  const body = (
    tag: string,
    content: string | Buffer,
    contentType: string | undefined = 'application/json',
  ) => ({
    bytes: asBytes(content),
    contentType,
    tag,
  });
  const variants: FuzzBody[] = [body('schema', text)];
  for (const contentType of OTHER_CONTENT_TYPES) variants.push(body('content-type', text, contentType));
  const itemSchema = schema.type === 'array' ? (schema.items ?? {}) : schema;
  for (const [name, property] of Object.entries(itemSchema.properties ?? {})) {
    const values: JsonLike[] = [...WRONG_TYPES, ...HOSTILE_STRINGS];
    if (property.type === 'integer') values.push(...HOSTILE_NUMBERS);
    if (property.format === 'date-time') values.push(...BAD_DATE_TIMES);
    if (property.maxLength !== undefined) values.push('z'.repeat(property.maxLength + 1));
    for (const value of values)
      variants.push(body(`property ${name}`, jsonText(withProperty(document, name, value))));
  }
  for (const [name, value] of [
    ['__proto__', { status: 'delivered', admin: true }],
    ['constructor', { prototype: { polluted: 1 } }],
    ['prototype', 1],
    ['unknown_field', 'x'],
  ] as const) {
    variants.push(body('prototype keys', jsonText(withProperty(document, name, value))));
  }
  variants.push(body('prototype keys', `{"__proto__":${text}}`));
  const item = Array.isArray(document) ? (document[0] ?? null) : document;
  variants.push(body('swapped-array-object', jsonText(Array.isArray(document) ? item : [item])));
  for (const depth of [1000, 5000, 20_000]) {
    variants.push(body('deep', deep(depth, 'array')), body('deep', deep(depth, 'object')));
    variants.push(
      body(
        'deep',
        jsonText(
          withProperty(document, Object.keys(item ?? {})[0] ?? 'x', new RawJson(deep(depth, 'array'))),
        ),
      ),
    );
  }
  for (const cut of [0, 1, Math.floor(text.length / 2), text.length - 1])
    variants.push(body('truncated', text.slice(0, cut)));
  for (const broken of BROKEN_TEXTS) variants.push(body('malformed', broken));
  variants.push(body('ndjson', `${jsonText(item)}\n\n${jsonText(item)}\n`, 'application/x-ndjson'));
  variants.push(body('ndjson', `${jsonText(item)}\n{`, 'application/x-ndjson'));
  return variants;
}
