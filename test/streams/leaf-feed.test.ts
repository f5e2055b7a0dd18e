/**
 * A stream's batch read in parts at once gives exactly what one read gives: the same leaves of
 * the same logs in the same order, however the parts cut the ranges (within a log, across logs,
 * more parts than leaves).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LeafRange } from '../../src/integrity/sequencing/integrity-store.js';
import { readLeaves, readLeavesInParts } from '../../src/streams/leaf-feed.js';
import { startTestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const TENANTS = ['tnt_a', 'tnt_b', 'tnt_c'];

test('reading a batch in parts gives what one read gives', async () => {
  const api = await startTestServer();
  try {
    for (const [n, tenant] of TENANTS.entries()) {
      const records = Array.from({ length: 7 + n * 5 }, (_, index) => ({
        id: `${tenant}_${index}`,
        user_id: `usr_${index % 3}`,
        channel: index % 2 === 0 ? 'sms' : 'email',
        recipient: index % 2 === 0 ? '13800138000' : 'bob@example.com',
        content: `code ${index}`,
      }));
      await api.ingest('communication-logs', tenant, records);
    }
    const store = await api.reopenStore();
    try {
      const log = (tenantId: string) => ({ tenantId, kind: 'communication-log' });
      // PostgreSQL numbers leaves after the commit.
      await waitFor('every record to have its leaf', async () => {
        const states = await Promise.all(TENANTS.map((tenant) => store.integrity.logState(log(tenant))));
        return states.every((state, n) => state.assigned === 7 + n * 5);
      });
      const ranges: LeafRange[] = [
        { log: log('tnt_a'), start: 2, end: 7 },
        { log: log('tnt_b'), start: 0, end: 12 },
        { log: log('tnt_c'), start: 5, end: 5 },
        { log: log('tnt_c'), start: 1, end: 17 },
      ];
      const whole = await readLeaves(store, ranges);
      assert.deepEqual(
        whole.map((leaves) => leaves.length),
        [5, 12, 0, 16],
      );
      assert.deepEqual(
        whole[3]?.map((leaf) => leaf.leafIndex),
        Array.from({ length: 16 }, (_, n) => n + 1),
      );
      assert.ok(whole[1]?.every((leaf) => leaf.recordId.startsWith('tnt_b_')));
      for (const parts of [1, 2, 3, 4, 7, 33, 100]) {
        assert.deepEqual(await readLeavesInParts(store, ranges, parts), whole, `${parts} parts`);
      }
    } finally {
      await store.close();
    }
  } finally {
    await api.close();
  }
});
