/**
 * The tree appender against the whole tree: leaves appended in random chunks into the memory
 * store give, after every chunk, the root MemoryTree gives, tiles holding exactly what the C2SP
 * layout says (partial ones grown in place, no stored hash changed), and proofs from the tile
 * cache equal to MemoryTree's that convince the independent RFC 9162 verifier.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactRange } from '../../src/integrity/merkle/compact-range.js';
import type { LeafRange } from '../../src/integrity/merkle/merkle-ranges.js';
import {
  consistencyProof,
  inclusionProof,
  MemoryTree,
  rootHash,
  type SubtreeHashes,
} from '../../src/integrity/merkle/merkle-proofs.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { TileCache } from '../../src/integrity/merkle/tile-cache.js';
import type { LogId, StoredTile } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { edgeTiles, TreeAppender, TreeEdgeError } from '../../src/integrity/sequencing/tree-appender.js';
import { verifyConsistency, verifyInclusion } from '../helpers/independent-merkle.js';

/** A seeded generator of integers in [min, max] (mulberry32): the same chunkings every run. */
function randomInts(seed: number): (min: number, max: number) => number {
  let state = seed >>> 0;
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return min + Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * (max - min + 1));
  };
}

/**
 * MemoryTree, with its subtrees memoised and those above 1,024 leaves joined as RFC 6962 defines a
 * power-of-two tree (the node hash of its halves): complete subtrees never change, and checking
 * every chunk of 100,000 leaves against MemoryTree alone would take minutes.
 */
function reference(leaves: Buffer[]): SubtreeHashes {
  const tree = new MemoryTree(leaves);
  const memo = new Map<string, Promise<Buffer>>();
  const subtree = (block: LeafRange): Promise<Buffer> => {
    const size = block.end - block.start;
    if (block.end > leaves.length) return tree.subtree(block);
    const key = `${block.start}+${size}`;
    const middle = block.start + size / 2;
    const hash =
      memo.get(key) ??
      (size <= 1024
        ? tree.subtree(block)
        : Promise.all([
            subtree({ start: block.start, end: middle }),
            subtree({ start: middle, end: block.end }),
          ]).then(([left, right]) => nodeHash(left, right)));
    memo.set(key, hash);
    return hash;
  };
  return { subtree };
}

/** What the C2SP layout says tile (level, index) holds for a tree of `size` leaves (empty if nothing). */
async function expectedTile(
  tree: SubtreeHashes,
  level: number,
  index: number,
  size: number,
): Promise<Buffer> {
  const perEntry = 256 ** level;
  const entries: Buffer[] = [];
  for (let i = index * 256; i < (index + 1) * 256 && (i + 1) * perEntry <= size; i++) {
    entries.push(await tree.subtree({ start: i * perEntry, end: (i + 1) * perEntry }));
  }
  return Buffer.concat(entries);
}

/** Every tile a tree of `size` leaves has, as `level/index` keys. */
function allTiles(size: number): string[] {
  const keys: string[] = [];
  for (let level = 0; 256 ** level <= size; level++) {
    const entries = Math.floor(size / 256 ** level);
    for (let index = 0; index * 256 < entries; index++) keys.push(`${level}/${index}`);
  }
  return keys;
}

/** Entries tile (level, index) holds in a tree of `size` leaves. */
function tileWidth(level: number, index: number, size: number): number {
  return Math.max(0, Math.min(256, Math.floor(size / 256 ** level) - index * 256));
}

const key = (tile: { level: number; index: number }) => `${tile.level}/${tile.index}`;

async function readEdge(store: MemoryIntegrityStore, log: LogId, size: number): Promise<StoredTile[]> {
  const edge = edgeTiles(size);
  const hashes = await store.readTiles(log, edge);
  return edge.map((tile, i) => ({
    level: tile.level,
    index: tile.index,
    hashes: hashes[i] ?? Buffer.alloc(0),
  }));
}

/** Appends `total` leaves in random chunks of 1…700, checking everything after each chunk. */
async function appendAndCheck(seed: number, total: number, cache: TileCache): Promise<void> {
  const random = randomInts(seed);
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: `tenant+${seed}`, kind: 'operate-log' };
  const leaves: Buffer[] = [];
  const tree = reference(leaves);
  const tiles = cache.log(JSON.stringify([log.tenantId, log.kind]), (addresses) =>
    store.readTiles(log, addresses),
  );
  let appender = TreeAppender.empty();
  while (leaves.length < total) {
    const old = leaves.length;
    const chunk = Array.from({ length: Math.min(random(1, 700), total - old) }, (_, i) =>
      leafHash(Buffer.from(`${seed}: leaf ${old + i}`)),
    );
    // Half the time the sequencer kept its appender; otherwise it resumes from the stored edge.
    if (random(0, 1) === 0) {
      const resumed = TreeAppender.resume(old, await readEdge(store, log, old));
      assert.ok(resumed.root().equals(appender.root()), `resumed at ${old}`);
      appender = resumed;
    }
    assert.equal(store.assignLeaves(log, chunk.length), old);
    leaves.push(...chunk);
    const { update, next } = appender.append(chunk);
    const before = await store.readTiles(log, update.tiles);
    assert.equal(await store.appendTree(log, update), true);
    appender = next;
    const size = leaves.length;
    const at = `seed ${seed}, ${old} → ${size} leaves`;

    const root = await rootHash(tree, size);
    assert.ok(update.root.equals(root), `root, ${at}`);
    assert.ok((await store.logState(log)).root.equals(root));
    // The update writes exactly the tiles the chunk changes, each as the layout says, each an
    // extension of what was stored.
    const written = update.tiles.map(key);
    const grown = allTiles(size).filter((tile) => {
      const [level = 0, index = 0] = tile.split('/').map(Number);
      return tileWidth(level, index, size) !== tileWidth(level, index, old);
    });
    assert.deepEqual(written.sort(), grown.sort(), `tiles written, ${at}`);
    for (const [i, tile] of update.tiles.entries()) {
      const stored = before[i] ?? Buffer.alloc(0);
      assert.equal(tile.previousWidth * 32, stored.length, `previous width of ${key(tile)}`);
      assert.ok(tile.hashes.subarray(0, stored.length).equals(stored), `${key(tile)} keeps its hashes`);
      assert.ok(tile.hashes.equals(await expectedTile(tree, tile.level, tile.index, size)), key(tile));
    }
    // Proofs from the tiles, through the cache shared by every chunk (partial tiles re-read).
    const indexes = [0, old, size - 1, random(0, size - 1), random(0, size - 1)];
    for (const index of indexes) {
      const proof = await inclusionProof(tiles, index, size);
      assert.deepEqual(proof, await inclusionProof(tree, index, size), `inclusion of ${index}, ${at}`);
      assert.ok(verifyInclusion(index, size, leaves[index] as Buffer, proof, root));
    }
    for (const from of [old, random(1, size)].filter((n) => n > 0)) {
      const proof = await consistencyProof(tiles, from, size);
      assert.deepEqual(proof, await consistencyProof(tree, from, size), `consistency ${from}, ${at}`);
      assert.ok(verifyConsistency(from, size, await rootHash(tree, from), root, proof));
    }
  }
  // Finally every tile of the tree, and no other, holds what the layout says.
  const stored = store.storedTiles(log);
  assert.deepEqual(stored.map(key).sort(), allTiles(total).sort());
  for (const tile of stored) {
    assert.ok(tile.hashes.equals(await expectedTile(tree, tile.level, tile.index, total)), key(tile));
  }
}

test('random chunkings give MemoryTree’s roots, the layout’s tiles and its proofs, after every chunk', async () => {
  // 70,000 leaves cross a full level-1 tile (65,536 leaves) into level 2; a small cache evicts.
  await appendAndCheck(1, 70_000, new TileCache({ maxBytes: 40 * 16_000 }));
  const shared = new TileCache();
  await appendAndCheck(2, 20_000, shared);
  await appendAndCheck(3, 5_000, shared);
  for (const seed of [4, 5, 6, 7, 8, 9]) await appendAndCheck(seed, seed * 97, shared);
});

test('the right edge of a tree: its partial tiles, bottom level first', () => {
  assert.deepEqual(edgeTiles(0), []);
  assert.deepEqual(edgeTiles(1), [{ level: 0, index: 0, width: 1 }]);
  assert.deepEqual(edgeTiles(255), [{ level: 0, index: 0, width: 255 }]);
  assert.deepEqual(edgeTiles(256), [{ level: 1, index: 0, width: 1 }]);
  assert.deepEqual(edgeTiles(65_536), [{ level: 2, index: 0, width: 1 }]);
  assert.deepEqual(edgeTiles(65_536 + 257), [
    { level: 0, index: 257, width: 1 },
    { level: 1, index: 1, width: 1 },
    { level: 2, index: 0, width: 1 },
  ]);
  assert.deepEqual(edgeTiles(2 ** 53 - 1).length, 7);
  assert.throws(() => edgeTiles(-1), RangeError);
  assert.throws(() => edgeTiles(1.5), RangeError);
});

test('a compact range resumes only from a right edge: powers of two, largest first', () => {
  const hash = leafHash(Buffer.from('x'));
  assert.equal(
    CompactRange.fromSubtrees([
      { size: 4, hash },
      { size: 1, hash },
    ]).size,
    5,
  );
  for (const sizes of [[2, 2], [1, 2], [3], [0], [2 ** 53]]) {
    assert.throws(() => CompactRange.fromSubtrees(sizes.map((size) => ({ size, hash }))), RangeError);
  }
  assert.throws(() => CompactRange.fromSubtrees([{ size: 1, hash: hash.subarray(1) }]), RangeError);
});

test('resuming refuses tiles that are not the right edge of the size', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 't', kind: 'access-log' };
  store.assignLeaves(log, 600);
  const leaves = Array.from({ length: 600 }, (_, n) => leafHash(Buffer.from(String(n))));
  const { update } = TreeAppender.empty().append(leaves);
  assert.equal(await store.appendTree(log, update), true);
  const edge = await readEdge(store, log, 600);
  assert.deepEqual(edge.map(key), ['0/2', '1/0']);
  assert.ok(TreeAppender.resume(600, edge).root().equals(update.root));
  const [level0, level1] = edge as [StoredTile, StoredTile];
  const refused = [
    [level0],
    [level0, level1, { ...level1, level: 2 }],
    [{ ...level0, index: 1 }, level1],
    [{ ...level0, hashes: level0.hashes.subarray(32) }, level1],
  ];
  for (const tiles of refused) assert.throws(() => TreeAppender.resume(600, tiles), TreeEdgeError);
});

test('an empty batch changes nothing; a stale or oversized update is not stored', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: '', kind: 'access-log' };
  const empty = TreeAppender.empty().append([]);
  assert.deepEqual(empty.update, { expectedSize: 0, size: 0, root: EMPTY_ROOT, tiles: [] });
  const three = Array.from({ length: 3 }, (_, n) => leafHash(Buffer.from([n])));
  const first = TreeAppender.empty().append(three);
  await assert.rejects(
    store.appendTree(log, first.update),
    /3 assigned|0 assigned/,
    'beyond the assigned leaves',
  );
  store.assignLeaves(log, 6);
  assert.equal(await store.appendTree(log, first.update), true);
  // A second sequencer that computed from size 0 loses the CAS and changes nothing.
  const rival = TreeAppender.empty().append(three.slice(0, 2));
  assert.equal(await store.appendTree(log, rival.update), false);
  assert.deepEqual(await store.logState(log), { assigned: 6, treeSize: 3, root: first.update.root });
  // An update rewriting a stored hash is refused whole.
  const second = first.next.append(three);
  const forged = second.update.tiles.map((tile) => ({ ...tile, hashes: Buffer.from(tile.hashes) }));
  const forgedTile = forged[0] as StoredTile;
  forgedTile.hashes[0] = (forgedTile.hashes[0] ?? 0) ^ 1;
  await assert.rejects(store.appendTree(log, { ...second.update, tiles: forged }), /do not extend/);
  assert.equal((await store.logState(log)).treeSize, 3);
  assert.equal(await store.appendTree(log, second.update), true);
  assert.ok((await rootHash(new MemoryTree([...three, ...three]), 6)).equals(second.update.root));
});
