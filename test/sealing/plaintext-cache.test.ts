import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlaintextCache } from '../../src/sealing/plaintext-cache.js';
import { RECORD_PART } from '../../src/sealing/sealed-envelope.js';

const context = { tenantId: 't1', kind: 'operate-log', recordId: 'op_1', part: RECORD_PART };
const envelope = (keyId: string, n: number) => `s1.${keyId}.${String(n).padStart(40, 'A')}`;

test('plaintext cache: hits only for the context it was opened in; bounded by bytes; evicts by key id', () => {
  const cache = new PlaintextCache({ maxBytes: 20_000 });
  cache.set(envelope('AAAAAAAAAAA', 1), context, ['alice']);
  assert.deepEqual(cache.get(envelope('AAAAAAAAAAA', 1), context), ['alice']);
  for (const other of [
    { ...context, recordId: 'op_2' },
    { ...context, part: 'error' },
    { ...context, tenantId: 't2' },
    { ...context, kind: 'access-log' },
  ]) {
    assert.equal(cache.get(envelope('AAAAAAAAAAA', 1), other), undefined);
  }

  for (let n = 0; n < 1000; n += 1)
    cache.set(envelope(n % 2 ? 'BBBBBBBBBBB' : 'CCCCCCCCCCC', n), context, ['x'.repeat(50)]);
  assert.ok(cache.bytes <= 20_000, `${cache.bytes} bytes`);
  assert.ok(cache.size > 10 && cache.size < 1000);
  const size = cache.size;
  const evicted = cache.evictKeyIds(['BBBBBBBBBBB']);
  assert.ok(evicted > 0);
  assert.equal(cache.size, size - evicted);
  assert.equal(cache.evictKeyIds([]), 0);
});
