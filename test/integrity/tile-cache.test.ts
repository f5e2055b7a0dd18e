/**
 * The tile cache: one batched read per cold proof, none when warm, partial tiles re-read once a
 * subtree lies beyond their cached width, and stored hashes that change are caught, not served.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inclusionProof, MemoryTree, rootHash } from '../../src/integrity/merkle/merkle-proofs.js';
import { leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { TileCache, TileChangedError } from '../../src/integrity/merkle/tile-cache.js';
import type { TileAddress } from '../../src/integrity/merkle/tile-layout.js';
import type { LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';

const leaves = Array.from({ length: 70_300 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));

/** A memory store holding the first `size` leaves, and the appender to grow it. */
async function storeOf(
  size: number,
): Promise<{ store: MemoryIntegrityStore; log: LogId; appender: TreeAppender }> {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 'acme', kind: 'operate-log' };
  store.assignLeaves(log, leaves.length);
  const { update, next } = TreeAppender.empty().append(leaves.slice(0, size));
  assert.equal(await store.appendTree(log, update), true);
  return { store, log, appender: next };
}

test('a cold proof reads its tiles in one round trip; a warm one reads none', async () => {
  const { store, log } = await storeOf(70_000);
  const cache = new TileCache();
  const asked: TileAddress[][] = [];
  const tiles = cache.log('acme/operate-log', (addresses) => {
    asked.push([...addresses]);
    return store.readTiles(log, addresses);
  });
  const tree = new MemoryTree(leaves.slice(0, 70_000));
  const proof = await inclusionProof(tiles, 66_000, 70_000);
  assert.deepEqual(proof, await inclusionProof(tree, 66_000, 70_000));
  assert.equal(asked.length, 1, 'one batch');
  // The leaf's tile, the partial level-0 tile at the right edge, the partial level-1 tile, and the
  // level-2 tile whose one entry is the first 65,536 leaves.
  assert.deepEqual(asked[0]?.map(({ level, index }) => `${level}/${index}`).sort(), [
    '0/257',
    '0/273',
    '1/1',
    '2/0',
  ]);
  assert.deepEqual(cache.stats, { reads: 1, tilesRead: 4 });
  assert.deepEqual(await inclusionProof(tiles, 66_001, 70_000), await inclusionProof(tree, 66_001, 70_000));
  assert.equal(asked.length, 1, 'warm: no read');
});

test('a partial tile serves sizes within its cached width and is re-read beyond it', async () => {
  const { store, log, appender } = await storeOf(70_000);
  const cache = new TileCache();
  const tiles = cache.log('acme', (addresses) => store.readTiles(log, addresses));
  assert.ok((await rootHash(tiles, 70_000)).equals(await rootHash(new MemoryTree(leaves), 70_000)));
  const reads = cache.stats.reads;
  const { update } = appender.append(leaves.slice(70_000, 70_300));
  assert.equal(await store.appendTree(log, update), true);
  // The older size is still served from the cache; the new one needs the grown tiles.
  assert.ok((await rootHash(tiles, 69_999)).equals(await rootHash(new MemoryTree(leaves), 69_999)));
  assert.equal(cache.stats.reads, reads);
  assert.ok((await rootHash(tiles, 70_300)).equals(await rootHash(new MemoryTree(leaves), 70_300)));
  assert.equal(cache.stats.reads, reads + 1);
});

test('a stored tile that changed under the cache is an error, and so is one not stored yet', async () => {
  const stored = new Map<string, Buffer>([['0/0', Buffer.concat(leaves.slice(0, 3))]]);
  const tiles = new TileCache().log('t', (addresses) =>
    Promise.resolve(addresses.map(({ level, index }) => stored.get(`${level}/${index}`))),
  );
  const tree = new MemoryTree(leaves);
  assert.ok((await tiles.subtree({ start: 2, end: 3 })).equals(leaves[2] as Buffer));
  await assert.rejects(tiles.subtree({ start: 4, end: 5 }), /does not hold \[4, 5\) yet/);
  await assert.rejects(tiles.subtree({ start: 256, end: 512 }), /does not hold/);
  stored.set('0/0', Buffer.concat([leaves[9] as Buffer, ...leaves.slice(1, 8)]));
  await assert.rejects(tiles.subtree({ start: 4, end: 8 }), TileChangedError);
  stored.set('0/0', Buffer.concat(leaves.slice(0, 8)));
  assert.ok((await tiles.subtree({ start: 4, end: 8 })).equals(await tree.subtree({ start: 4, end: 8 })));
});

test('a failed read fails every subtree waiting on it, and the next asks again', async () => {
  let fail = true;
  const tiles = new TileCache().log('t', (addresses) =>
    fail
      ? Promise.reject(new Error('store down'))
      : Promise.resolve(addresses.map(() => Buffer.concat(leaves.slice(0, 256)))),
  );
  const waiting = [tiles.subtree({ start: 0, end: 2 }), tiles.subtree({ start: 2, end: 4 })];
  for (const one of waiting) await assert.rejects(one, /store down/);
  fail = false;
  const tree = new MemoryTree(leaves);
  assert.ok((await tiles.subtree({ start: 0, end: 128 })).equals(await tree.subtree({ start: 0, end: 128 })));
  await assert.rejects(
    new TileCache().log('bad', () => Promise.resolve([Buffer.alloc(33)])).subtree({ start: 0, end: 1 }),
    /stored with 33 bytes/,
  );
});
