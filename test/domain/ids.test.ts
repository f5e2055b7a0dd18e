import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateId } from '../../src/domain/ids.js';

test('ids: prefix, 12 hex digits of the time, 16 random hex digits; distinct across refills of the random pool', () => {
  // 2,000 ids draw the 512-id pool of random bytes down almost four times.
  const ids = Array.from({ length: 2000 }, (_, n) => generateId('op_', 1_790_000_000_000 + n));
  for (const id of ids) assert.match(id, /^op_[0-9a-f]{12}[0-9a-f]{16}$/);
  assert.equal(new Set(ids.map((id) => id.slice(-16))).size, ids.length, 'no random part repeats');
  assert.deepEqual([...ids].sort(), ids, 'later times sort after earlier ones');
  assert.equal(generateId('x_', 1).slice(2, 14), '000000000001');
});
