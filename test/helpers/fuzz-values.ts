import fc from 'fast-check';
import type { JsonSchema } from './openapi-routes.js';

// Hostile values for the request fuzzer: strings and numbers as JavaScript values, and their
// percent-encoded wire forms, including encodings no well-behaved client produces.

/** A value as it goes on the wire (already percent-encoded), plus whether it is a valid one. */
export interface WireValue {
  wire: string;
  valid: boolean;
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;
/** Printable ASCII a sloppy client leaves unencoded in a query value (not `%&=#+` nor space). */
const LOOSE = /^[!-~]$/;
const LOOSE_ESCAPED = new Set(['%', '&', '=', '#', '+']);

function utf8Bytes(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000)
    return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [
    0xf0 | (codePoint >> 18),
    0x80 | ((codePoint >> 12) & 0x3f),
    0x80 | ((codePoint >> 6) & 0x3f),
    0x80 | (codePoint & 0x3f),
  ];
}

/**
 * Percent-encodes `text` byte by byte. `wtf8` writes surrogate pairs as one 4-byte sequence and a
 * lone surrogate as its own 3 bytes (`\uD800` → `%ED%A0%80`); `cesu8` writes every surrogate, paired
 * or not, as 3 bytes. `loose` leaves printable ASCII other than `%&=#+` unencoded; `plus` writes spaces as `+`.
 */
export function percentEncode(
  text: string,
  options: { utf: 'wtf8' | 'cesu8'; loose?: boolean; plus?: boolean } = { utf: 'wtf8' },
): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    let codePoint = unit;
    if (options.utf === 'wtf8' && unit >= 0xd800 && unit < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
      codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      index++;
    }
    const char = String.fromCharCode(unit);
    if (options.plus === true && char === ' ') out += '+';
    else if (
      UNRESERVED.test(char) ||
      (options.loose === true && LOOSE.test(char) && !LOOSE_ESCAPED.has(char))
    )
      out += char;
    else
      out += utf8Bytes(codePoint)
        .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
  }
  return out;
}

/** Wire forms no encoder produces: malformed escapes, invalid UTF-8, raw separators. */
export const RAW_FRAGMENTS: readonly string[] = [
  ...['%', '%%', '%2', '%zz', '%g0', '%ff', '%fe%ff', '%c0%af', '%e0%80%80', '%f8%88%80%80%80'],
  ...['%ed%a0%80', '%ed%b0%80', '%ED%A0%BD%ED%B8%80', '%f0%9f%98', '%e7%99', '%80', '%bf'],
  ...['%00', 'a%00b', '%0a', '%0d%0a', '%09', '%7f', '%1b[31m', '%c2%85', '%e2%80%a8', '%ef%bb%bf'],
  ...['+', '++', '%2B', '%20', '%26', '%3D', '%25', '%23', '%3F', '%2F', '%5C', '&', '=', '==', '?', '/'],
  ...['%252525', '%u0041', '%uD800', '\\u0000', '%2e%2e', '..', '.', ';', ',', '[]', '{}', "'", '"'],
];

/** Numbers written every way a parser may or may not accept. */
export const NUMERIC_STRINGS: readonly string[] = [
  ...[
    'Infinity',
    '-Infinity',
    '+Infinity',
    'infinity',
    '1e309',
    '-1e309',
    'NaN',
    'nan',
    '1.5',
    '-1.5',
    '0.5',
  ],
  ...['1.0', '0.0', '0x10', '0X1F', '0b1', '0o7', '1e3', '1E3', '1e+3', '1e-7', '1e2', '0.1e3', '.5', '5.'],
  ...['-0', '+0', '+1', '-1', '0', '00', '007', '0001', '1_000', '1,000', '1,2', '1;2', '١٢', '１２', '²'],
  ...[' 1', '1 ', ' 1 ', '\t1', '1\n', '\u00a01', '1\u0000', 'e', '1e', '-', '+', '--1', '1-', '[1]'],
  ...[
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '-9007199254740993',
    '18446744073709551616',
  ],
  ...[
    '2147483647',
    '2147483648',
    '-2147483649',
    '4294967296',
    '1.7976931348623157e308',
    '5e-324',
    '4.9e-324',
  ],
  ...['100', '101', '99', '10000000', '10000001', '253402300799999', '253402300800000', '-253402300799999'],
  ...['1767225600000', '17672256000000000000', '9'.repeat(40), '9'.repeat(400), `0.${'0'.repeat(300)}1`],
  ...['true', 'false', 'null', 'undefined', '{"$gt":1}', '$1', 'one', 'Ⅻ'],
];

/** Strings that have broken parsers, encoders, SQL, LIKE patterns and JSON before. */
export const NASTY_STRINGS: readonly string[] = [
  ...['', ' ', '  x  ', '\t', '\n', '\r\n', '\u0000', 'a\u0000b', '\u0000'.repeat(8), '\u0001\u001f\u007f'],
  ...['\u0085', '\u2028\u2029', '\uFEFF', '\u200B', '\u202Egnp.exe', '\u00a0', '\u3000', '\uFFFD', '\uFFFF'],
  ...[
    '登录',
    '验证码',
    '您的验证码是123456',
    '审计日志',
    '😀',
    '👨‍👩‍👧‍👦',
    '🏳️‍🌈',
    '𠀀𠀁',
    'e\u0301',
    'İ',
    'ß',
    'ǅ',
    'Ω',
  ],
  ...['\uD800', '\uDFFF', 'a\uD800b', '\uDBFF\uDFFF', '\uDC00\uD800', '😀'.slice(0, 1), '登\uD83D'],
  ...['%', '%%', '_', '%_\\', '\\', '\\x00', '\\u0000', "'", '"', "' OR '1'='1", "'; DROP TABLE x; --"],
  ...['$1', '?', ':name', '*', '[a-z]', '(?:', '.*', '{}', '[]', '{"a":1}', '[1,"x"]', 'null', 'undefined'],
  ...['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'],
  ...['<script>alert(1)</script>', '../../etc/passwd', '${7*7}', '{{7*7}}', 'a'.repeat(255), 'a'.repeat(257)],
  ...['登'.repeat(100), '😀'.repeat(129), 'x'.repeat(513), 'x'.repeat(4097), '\u0000'.repeat(300)],
];

/** Repeated units and their longest run, so that no encoded value exceeds ~12 KB (Node's header limit is 16 KB). */
const LONG_UNITS: readonly (readonly [string, number])[] = [
  ...([
    ['a', 4096],
    ['登', 1200],
    ['😀', 1000],
    ['\u0000', 3000],
    ['%', 3000],
    [' ', 3000],
    ['\uD800', 1000],
  ] as const),
];

/** A long string (100 to 4,096 UTF-16 units) of one repeated unit, or of random printable ASCII. */
export const longString = fc.oneof(
  fc
    .tuple(fc.constantFrom(...LONG_UNITS), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([[unit, max], share]) => unit.repeat(Math.ceil((100 + share * (max - 100)) / unit.length))),
  fc.string({ unit: 'binary-ascii', minLength: 100, maxLength: 3000 }),
);

/** Any string: the curated nasty ones, random unicode (lone surrogates included), long ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 6 },
  { arbitrary: fc.constantFrom(...NUMERIC_STRINGS), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
  {
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\r', '\n', '\u001b', '\u007f', '\t'),
      maxLength: 8,
    }),
    weight: 1,
  },
  { arbitrary: longString, weight: 1 },
);

/** Encodes a JavaScript string every way a client might (or should not). */
export function encodedArbitrary(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      text,
      fc.constantFrom<{ utf: 'wtf8' | 'cesu8'; loose?: boolean; plus?: boolean }>(
        { utf: 'wtf8' },
        { utf: 'wtf8' },
        { utf: 'wtf8' },
        { utf: 'wtf8', loose: true },
        { utf: 'wtf8', plus: true },
        { utf: 'cesu8' },
      ),
    )
    .map(([value, options]) => percentEncode(value, options));
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const isoDate = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map(
    (date) =>
      `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`,
  );

/** Dates matching `^\d{4}-\d{2}-\d{2}$` that are not days, and days written otherwise. */
export const BAD_DATES: readonly string[] = [
  ...['2026-02-30', '2026-02-29', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '0000-01-01'],
  ...['0000-00-00', '9999-99-99', '9999-12-31', '10000-01-01', '2026-1-1', '2026/01/01', '20260101'],
  ...[
    '２０２６-０１-０１',
    '2026-01-01T00:00:00Z',
    '2026-01-01 ',
    '2026-01-01\n',
    '-001-01-01',
    '1969-12-31',
  ],
  ...['1767225600000', '2026-01-01\u0000', '2026-W01-1', '2026-001', '2026-01-01,2026-01-02'],
];

/**
 * Values that a parameter with `schema` accepts (`valid`), and many it should refuse with a 4xx;
 * with `onlyValid`, only the accepted ones.
 */
export function paramValueArbitrary(
  schema: JsonSchema,
  known: readonly string[],
  onlyValid = false,
): fc.Arbitrary<WireValue> {
  const valid: fc.Arbitrary<string>[] = known.length > 0 ? [fc.constantFrom(...known)] : [];
  const invalid: fc.Arbitrary<string>[] = [nastyString];
  if (schema.type === 'integer') {
    const min = schema.minimum ?? 0;
    const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
    valid.push(fc.integer({ min, max: Math.min(max, min + 200) }).map(String));
    valid.push(fc.constantFrom(min, max).map(String));
    invalid.push(fc.constantFrom(...NUMERIC_STRINGS), fc.constantFrom(String(min - 1), String(max + 1)));
    invalid.push(fc.double().map(String), fc.bigInt().map(String));
  } else if (schema.enum !== undefined) {
    const members = schema.enum.map(String);
    valid.push(fc.constantFrom(...members));
    invalid.push(fc.constantFrom(...members).chain((member) => fc.mixedCase(fc.constant(member))));
    invalid.push(fc.constantFrom(...members).map((member) => ` ${member}`));
  } else if (schema.pattern !== undefined && schema.pattern.includes('\\d{4}')) {
    valid.push(isoDate);
    invalid.push(fc.constantFrom(...BAD_DATES));
  } else {
    valid.push(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/));
    if (schema.maxLength !== undefined) invalid.push(fc.constant('y'.repeat(schema.maxLength + 1)));
  }
  const accepted = encodedArbitrary(fc.oneof(...valid)).map((wire) => ({ wire, valid: true }));
  if (onlyValid) return accepted;
  return fc.oneof(
    { arbitrary: accepted, weight: 3 },
    { arbitrary: encodedArbitrary(fc.oneof(...invalid)).map((wire) => ({ wire, valid: false })), weight: 3 },
    { arbitrary: fc.constantFrom(...RAW_FRAGMENTS).map((wire) => ({ wire, valid: false })), weight: 1 },
  );
}

/** A path segment for a parameter: valid ids, hostile strings, malformed escapes, 100..2000-char segments. */
export function pathSegmentArbitrary(known: readonly string[]): fc.Arbitrary<WireValue> {
  const long = fc
    .tuple(fc.integer({ min: 100, max: 2000 }), fc.constantFrom('a', '%41', '%E7%99%BB', '-', '%00'))
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));
  return fc.oneof(
    { arbitrary: fc.constantFrom(...known).map((wire) => ({ wire, valid: true })), weight: 4 },
    {
      arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((wire) => ({ wire, valid: true })),
      weight: 2,
    },
    { arbitrary: encodedArbitrary(nastyString).map((wire) => ({ wire, valid: false })), weight: 3 },
    { arbitrary: fc.constantFrom(...RAW_FRAGMENTS).map((wire) => ({ wire, valid: false })), weight: 2 },
    { arbitrary: long.map((wire) => ({ wire, valid: false })), weight: 2 },
  );
}
