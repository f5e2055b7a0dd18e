import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatRfc3339 } from '../../src/domain/time.js';

/** How times were formatted before the fast path: the wire format existing clients read. */
function reference(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_match, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** The range a JavaScript Date can hold, in epoch ms. */
const MAX_DATE_MS = 8.64e15;

test('formatRfc3339 writes exactly what toISOString did, fraction trimmed as Go does', () => {
  const cases = [
    0, 1, 10, 100, 120, 123, 999, 1000, 1_776_247_200_000, 1_776_247_200_500, -1, -62_167_219_200_000,
  ];
  cases.push(-62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, MAX_DATE_MS, -MAX_DATE_MS);
  for (const epochMs of cases) assert.equal(formatRfc3339(epochMs), reference(epochMs), String(epochMs));
  assert.equal(formatRfc3339(1_776_247_200_000), '2026-04-15T10:00:00Z');
  assert.equal(formatRfc3339(1_776_247_200_500), '2026-04-15T10:00:00.5Z');
  assert.equal(formatRfc3339(1_776_247_200_050), '2026-04-15T10:00:00.05Z');
  assert.equal(formatRfc3339(1_776_247_200_007), '2026-04-15T10:00:00.007Z');
  fc.assert(
    fc.property(fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }), (epochMs) => {
      assert.equal(formatRfc3339(epochMs), reference(epochMs));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (epochMs) => {
      assert.equal(formatRfc3339(epochMs), reference(epochMs));
    }),
    { numRuns: 20_000 },
  );
});

test('formatRfc3339 refuses a time no Date can hold, as toISOString does', () => {
  for (const epochMs of [MAX_DATE_MS + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => formatRfc3339(epochMs), RangeError);
  }
});
