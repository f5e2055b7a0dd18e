/**
 * The export's CSV encoder is written by hand for speed (BENCHMARKS.md, Export); csv-stringify, the
 * library it replaced, is its oracle here: for any items, both write the same text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { csvEncoder } from '../src/http/export-encoding.js';

const FIELDS = ['id', 'content', 'count', 'query', 'flag'];

/** Text rich in what CSV and formula escaping must handle. */
const tricky = fc.string({
  unit: fc.constantFrom(
    'a',
    '中',
    ' ',
    ',',
    '"',
    '\r',
    '\n',
    '=',
    '+',
    '-',
    '@',
    '\t',
    '＝',
    '＋',
    '－',
    '＠',
    "'",
    '1',
  ),
  maxLength: 12,
});

const cell = fc.oneof(
  tricky,
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
  fc.boolean(),
  fc.dictionary(tricky, tricky, { maxKeys: 2 }),
);

const item = fc.record(Object.fromEntries(FIELDS.map((field) => [field, cell])));

/** What csv-stringify writes with the options the export used it with. */
function byLibrary(items: readonly Record<string, unknown>[]): string {
  return stringify(items as Record<string, unknown>[], {
    header: true,
    columns: FIELDS,
    record_delimiter: 'windows',
    escape_formulas: true,
    // csv-stringify quotes a field holding CRLF only; RFC 4180 wants any line break quoted.
    quoted_match: /[\r\n]/,
    cast: { boolean: (value) => String(value), object: (value) => JSON.stringify(value) },
  });
}

test('the CSV encoder writes what csv-stringify writes, header and formula escaping included', () => {
  fc.assert(
    fc.property(fc.array(fc.array(item, { maxLength: 5 }), { maxLength: 4 }), (batches) => {
      const encode = csvEncoder(FIELDS);
      // The first call writes the header even for an empty batch, as an empty export has one.
      const written = [[], ...batches].map((batch) => encode(batch)).join('');
      assert.equal(written, byLibrary(batches.flat()));
    }),
    { numRuns: 2000 },
  );
});
