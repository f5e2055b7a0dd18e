import fc from 'fast-check';
import { NASTY_STRINGS, NUMERIC_STRINGS, nastyString } from './fuzz-values.js';
import type { JsonSchema } from './openapi-routes.js';

// Request bodies for the fuzzer: JSON documents derived from a route's body schema and then
// broken every way a client can break them (types, depth, prototype keys, truncation, bytes).

/** A JSON text fragment written verbatim (numbers JSON.stringify cannot write, e.g. `1e309`, `-0`). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A JSON-like value; objects may carry `__proto__` as an own key. */
export type JsonLike = null | boolean | number | string | RawJson | JsonLike[] | { [key: string]: JsonLike };

/** Serializes `value`, writing RawJson fragments verbatim and every own key (`__proto__` included). */
export function jsonText(value: JsonLike): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${jsonText(value[key] ?? null)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** A generated body: its bytes, the content type to send (undefined: no header) and a coverage tag. */
export interface FuzzBody {
  bytes: Buffer;
  contentType: string | undefined;
  tag: string;
}

/** RFC 3339 times a date-time field accepts. */
export const DATE_TIMES = [
  ...[
    '2026-05-01T10:00:00Z',
    '2026-05-01T10:00:00.123456Z',
    '2026-05-01T18:00:00+08:00',
    '1970-01-01T00:00:00Z',
  ],
];
/** Date-times that are not, or not quite, RFC 3339 instants. */
export const BAD_DATE_TIMES = [
  ...['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z'],
  ...['9999-12-31T23:59:59.999Z', '+275760-09-13T00:00:00Z', '2026-05-01', '2026-05-01T25:00:00Z', 'now'],
  ...['2026-05-01T10:00:00+25:00', '2026-05-01T10:00:00', '1767225600000', '2026-05-01T10:00:00Z\u0000'],
];
/** Values of every JSON type, and numbers JSON.stringify cannot write. */
export const WRONG_TYPES: readonly JsonLike[] = [
  ...[null, true, 0, -1, 1.5, [], {}, ['x'], { a: 1 }, new RawJson('1e309'), new RawJson('-0')],
  ...[new RawJson('9007199254740993'), new RawJson('1E400'), new RawJson('-1e-400'), new RawJson('0.1e1')],
];

/**
 * A hint (a query parameter's text) as the value of a body field of `schema`: an integer field's
 * as a number, an object or array field's as the JSON text it is (a stream's destination, its kinds).
 */
export function hintValue(schema: JsonSchema, text: string): JsonLike {
  if (schema.type === 'integer') return Number(text);
  return schema.type === 'object' || schema.type === 'array' ? (JSON.parse(text) as JsonLike) : text;
}

/** Valid values for `schema`, `hint` (e.g. the seeded ids) preferred when given. */
function validValue(
  name: string,
  schema: JsonSchema,
  hints: Record<string, readonly string[]>,
): fc.Arbitrary<JsonLike> {
  const hint = hints[name];
  if (hint !== undefined && hint.length > 0)
    return fc.constantFrom(...hint.map((text) => hintValue(schema, text)));
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum.map(String));
  if (schema.format === 'date-time') return fc.constantFrom(...DATE_TIMES);
  if (schema.type === 'integer')
    return fc.integer({
      min: schema.minimum ?? 0,
      max: Math.min(schema.maximum ?? 2 ** 53 - 1, 2 ** 53 - 1),
    });
  if (schema.pattern !== undefined) return fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
  return fc.oneof(
    fc.string({ minLength: schema.minLength ?? 0, maxLength: 30 }),
    fc.constantFrom('登录', '您的验证码是123456'),
  );
}

/** Values `schema` should refuse, or that stress the store (NUL, lone surrogates, huge text). */
function hostileValue(schema: JsonSchema): fc.Arbitrary<JsonLike> {
  const options: fc.Arbitrary<JsonLike>[] = [fc.constantFrom(...WRONG_TYPES), nastyString];
  if (schema.format === 'date-time') options.push(fc.constantFrom(...BAD_DATE_TIMES));
  if (schema.type === 'integer') {
    options.push(
      fc.constantFrom(...NUMERIC_STRINGS).map((text) => (/^-?\d/.test(text) ? new RawJson(text) : text)),
    );
    options.push(fc.constantFrom((schema.minimum ?? 0) - 1, (schema.maximum ?? 0) + 1));
  }
  if (schema.maxLength !== undefined) options.push(fc.constant('z'.repeat(schema.maxLength + 1)));
  return fc.oneof(...options);
}

/** One object for `schema`: each property absent, valid or hostile; sometimes extra or prototype keys. */
function objectValue(schema: JsonSchema, hints: Record<string, readonly string[]>): fc.Arbitrary<JsonLike> {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const fields = properties.map(([name, property]) =>
    fc
      .oneof(
        { arbitrary: fc.constant(undefined), weight: required.has(name) ? 1 : 6 },
        { arbitrary: validValue(name, property, hints), weight: 12 },
        { arbitrary: hostileValue(property), weight: 1 },
      )
      .map((value) => [name, value] as const),
  );
  const extra = fc.oneof(
    { arbitrary: fc.constant<[string, JsonLike][]>([]), weight: 12 },
    fc.constantFrom<[string, JsonLike][]>(
      [['__proto__', { status: 'delivered', admin: true }]],
      [['constructor', { prototype: { polluted: 1 } }]],
      [['prototype', 1]],
      [['unknown_field', 'x']],
      [['', '']],
      [['\u0000', 1]],
      [['USER_ID', 'x']],
    ),
  );
  return fc.tuple(fc.tuple(...fields), extra).map(([pairs, extraPairs]) => {
    const object: Record<string, JsonLike> = {};
    for (const [name, value] of [...pairs, ...extraPairs]) {
      // defineProperty makes `__proto__` an own, enumerable key instead of setting the prototype.
      if (value !== undefined)
        Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return object;
  });
}

/** JSON text nested `depth` levels deep: arrays `[[[…]]]` or objects `{"a":{"a":…}}`. */
export const deep = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Bodies that are not JSON, or JSON of the wrong kind, or bytes that are not UTF-8. */
export const BROKEN_TEXTS: readonly (string | Buffer)[] = [
  ...['', ' ', '\n', 'null', '0', '-0', '"x"', 'true', '{}', '[]', '[null]', '[[]]', '[1]', '["x"]', '[{}]'],
  ...['{', '[', '[{]', '{"a":}', '[1,]', "{'a':1}", 'NaN', '[NaN]', '[Infinity]', 'undefined', '[1 2]'],
  ...[
    '/*c*/[]',
    '\uFEFF[]',
    '[]]',
    '{"a":1}{"b":2}',
    'nul',
    'tru',
    '-',
    '"\\uZZZZ"',
    '["\\ud800"]',
    '1e99999',
  ],
  ...['[{"id":"a","id":"b"}]', '{"__proto__":{"admin":true}}', '[{"constructor":{"prototype":{"x":1}}}]'],
  ...['[{"__proto__":[]}]', '{"status":"sent","__proto__":{"status":"x"}}', 'status=sent', '--x--'],
  Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]),
  Buffer.from([0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d]),
  Buffer.from([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d]),
  Buffer.from([0x5b, 0x22, 0x61, 0x00, 0x62, 0x22, 0x5d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0x5b, 0x5d]),
  Buffer.from([0xff, 0xfe, 0x5b, 0x00, 0x5d, 0x00]),
];

/** Content types other than plain `application/json`; undefined sends no Content-Type header. */
export const OTHER_CONTENT_TYPES: readonly (string | undefined)[] = [
  ...['application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON'],
  ...['application/json;charset=UTF-16', 'text/plain', 'application/x-www-form-urlencoded', 'text/json'],
  ...['multipart/form-data; boundary=xyz', 'application/x-ndjson', 'application/jsonx', '', undefined],
  ...['application/octet-stream', '*/*', 'application/json, text/plain', 'application/merge-patch+json'],
];

/** Content types, weighted towards JSON so most bodies reach the handlers. */
const CONTENT_TYPES = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 14 },
  { arbitrary: fc.constantFrom(...OTHER_CONTENT_TYPES), weight: 6 },
);

/** UTF-8 bytes of a text; Buffers as they are. */
export const asBytes = (text: string | Buffer): Buffer =>
  typeof text === 'string' ? Buffer.from(text, 'utf8') : text;

/**
 * Bodies for a route taking `schema` (or none): schema-shaped documents with hostile fields, deep
 * nesting (1,000 to 20,000 levels), prototype keys, truncated and malformed JSON, arrays where
 * objects belong and the reverse, NDJSON, invalid UTF-8, and oversized batches.
 */
export function bodyArbitrary(
  schema: JsonSchema | undefined,
  hints: Record<string, readonly string[]>,
): fc.Arbitrary<FuzzBody> {
  const itemSchema = schema?.type === 'array' ? (schema.items ?? {}) : (schema ?? { type: 'object' });
  const item = objectValue(itemSchema, hints);
  const document: fc.Arbitrary<JsonLike> =
    schema?.type === 'array' ? fc.array(item, { minLength: 1, maxLength: 5 }) : item;
  const swapped: fc.Arbitrary<JsonLike> = schema?.type === 'array' ? item : fc.array(item, { maxLength: 3 });
  const json = (tag: string, value: fc.Arbitrary<JsonLike>) =>
    fc
      .tuple(value, CONTENT_TYPES)
      .map(([v, contentType]) => ({ bytes: asBytes(jsonText(v)), contentType, tag }));
  return fc.oneof(
    { arbitrary: json('schema', document), weight: 30 },
    { arbitrary: json('swapped-array-object', swapped), weight: 3 },
    {
      arbitrary: fc
        .tuple(
          fc.integer({ min: 1000, max: 20000 }),
          fc.constantFrom('array' as const, 'object' as const),
          fc.boolean(),
        )
        .map(([depth, kind, inRecord]) => ({
          bytes: asBytes(
            inRecord
              ? `[{"user_id":${deep(depth, kind)},"operate_type":${deep(depth, kind)}}]`
              : deep(depth, kind),
          ),
          contentType: 'application/json',
          tag: 'deep',
        })),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(document, fc.double({ min: 0, max: 1, noNaN: true })).map(([value, cut]) => {
        const text = jsonText(value);
        return {
          bytes: asBytes(text.slice(0, Math.floor(text.length * cut))),
          contentType: 'application/json',
          tag: 'truncated',
        };
      }),
      weight: 4,
    },
    {
      arbitrary: fc.tuple(fc.constantFrom(...BROKEN_TEXTS), CONTENT_TYPES).map(([text, contentType]) => ({
        bytes: asBytes(text),
        contentType,
        tag: 'malformed',
      })),
      weight: 6,
    },
    {
      arbitrary: fc.array(item, { minLength: 1, maxLength: 4 }).map((records) => ({
        bytes: asBytes(records.map(jsonText).join('\n')),
        contentType: 'application/x-ndjson',
        tag: 'ndjson',
      })),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom(10_000, 10_001).map((count) => ({
        bytes: asBytes(`[${Array.from({ length: count }, () => '{}').join(',')}]`),
        contentType: 'application/json',
        tag: 'oversized-batch',
      })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(...NASTY_STRINGS).map((text) => ({
        bytes: asBytes(text),
        contentType: 'text/plain',
        tag: 'text',
      })),
      weight: 1,
    },
  );
}
