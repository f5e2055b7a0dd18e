/**
 * The in-memory IntegrityStore's contract beyond the tree (which tree-appender.test.ts covers):
 * log states and their listing, checkpoints stored only over the latest one expected, read
 * back by size and in pages, and buffers never shared with callers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_ROOT, leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import type { LogId, StoredCheckpoint } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';

const checkpoint = (size: number): StoredCheckpoint => ({
  size,
  root: leafHash(Buffer.from(String(size))),
  note: `note of ${size}\n`,
  signedAt: 1_700_000_000_000 + size,
});

test('log states: empty until leaves are assigned, listed by tenant then kind in byte order', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 'b', kind: 'operate-log' };
  assert.deepEqual(await store.logState(log), { assigned: 0, treeSize: 0, root: EMPTY_ROOT });
  assert.equal(store.assignLeaves(log, 0), 0);
  assert.deepEqual(await store.logStates(), [], 'assigning nothing creates no log');
  assert.equal(store.assignLeaves(log, 3), 0);
  assert.equal(store.assignLeaves(log, 2), 3);
  store.assignLeaves({ tenantId: 'b', kind: 'access-log' }, 1);
  store.assignLeaves({ tenantId: '', kind: 'access-log' }, 1);
  store.assignLeaves({ tenantId: '\u{1F600}', kind: 'access-log' }, 1);
  store.assignLeaves({ tenantId: '\uFFFD', kind: 'access-log' }, 1);
  const listed = (await store.logStates()).map(({ tenantId, kind, assigned }) => [tenantId, kind, assigned]);
  assert.deepEqual(listed, [
    ['', 'access-log', 1],
    ['b', 'access-log', 1],
    ['b', 'operate-log', 5],
    ['\uFFFD', 'access-log', 1],
    ['\u{1F600}', 'access-log', 1],
  ]);
  assert.throws(() => store.assignLeaves(log, -1), RangeError);
});

test('checkpoints are stored only over the latest expected, and read back by size and in pages', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 'acme', kind: 'communication-log' };
  assert.equal(await store.latestCheckpoint(log), undefined);
  assert.equal(await store.storeCheckpoint(log, checkpoint(5), 3), false, 'no checkpoint of size 3');
  assert.equal(await store.storeCheckpoint(log, checkpoint(5), undefined), true);
  assert.equal(await store.storeCheckpoint(log, checkpoint(9), undefined), false, 'another signer was first');
  assert.equal(await store.storeCheckpoint(log, checkpoint(5), 5), false, 'not above the latest');
  assert.equal(await store.storeCheckpoint(log, checkpoint(4), 5), false);
  for (const [size, after] of [
    [9, 5],
    [12, 9],
    [20, 12],
  ] as const) {
    assert.equal(await store.storeCheckpoint(log, checkpoint(size), after), true);
  }
  assert.deepEqual(await store.latestCheckpoint(log), checkpoint(20));
  assert.deepEqual(await store.checkpointAt(log, 12), checkpoint(12));
  assert.equal(await store.checkpointAt(log, 13), undefined);
  const sizes = async (after: number, limit: number) =>
    (await store.listCheckpoints(log, after, limit)).map(({ size }) => size);
  assert.deepEqual(await sizes(-1, 10), [5, 9, 12, 20]);
  assert.deepEqual(await sizes(-1, 2), [5, 9]);
  assert.deepEqual(await sizes(9, 2), [12, 20]);
  assert.deepEqual(await sizes(20, 2), []);
  assert.deepEqual(await store.listCheckpoints({ tenantId: 'acme', kind: 'operate-log' }, -1, 9), []);
  await assert.rejects(
    store.storeCheckpoint(log, { ...checkpoint(30), root: Buffer.alloc(3) }, 20),
    RangeError,
  );
});

test('buffers given or returned are never shared with the store', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 'acme', kind: 'operate-log' };
  store.assignLeaves(log, 2);
  const hashes = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];
  const { update } = TreeAppender.empty().append(hashes);
  const before = Buffer.from(update.root);
  assert.equal(await store.appendTree(log, update), true);
  update.root.fill(0);
  (update.tiles[0]?.hashes as Buffer).fill(0);
  const state = await store.logState(log);
  assert.ok(state.root.equals(before));
  state.root.fill(0);
  assert.ok((await store.logState(log)).root.equals(before));
  const [tile] = await store.readTiles(log, [{ level: 0, index: 0 }]);
  assert.ok(tile?.equals(Buffer.concat(hashes)));
  tile?.fill(0);
  assert.ok((await store.readTiles(log, [{ level: 0, index: 0 }]))[0]?.equals(Buffer.concat(hashes)));
  assert.deepEqual(await store.readTiles(log, [{ level: 0, index: 1 }]), [undefined]);
  const signed = checkpoint(2);
  assert.equal(await store.storeCheckpoint(log, signed, undefined), true);
  signed.root.fill(0);
  assert.deepEqual(await store.latestCheckpoint(log), checkpoint(2));
});
