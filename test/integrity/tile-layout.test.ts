/**
 * Tiles (C2SP tlog-tiles) as a sequencer fills them from a compact range's completed subtrees:
 * every proof and root computed from the tiles is the one the whole tree gives, at tile heights
 * small enough for several levels of tiles in a few hundred leaves, and at the spec's 8.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CompactRange } from '../../src/integrity/merkle/compact-range.js';
import {
  consistencyProof,
  inclusionProof,
  MemoryTree,
  rootHash,
} from '../../src/integrity/merkle/merkle-proofs.js';
import { leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { TileHashes, tileSpan, type TileAddress } from '../../src/integrity/merkle/tile-layout.js';
import { verifyConsistency, verifyInclusion } from '../helpers/independent-merkle.js';

/** Tiles of `height` for `leaves`, filled as a sequencer would, in append order. */
function buildTiles(leaves: readonly Buffer[], height: number): Map<string, Buffer[]> {
  const tiles = new Map<string, Buffer[]>();
  const range = new CompactRange();
  for (const hash of leaves) {
    range.append(hash, (start, size, root) => {
      const bits = Math.log2(size);
      if (bits % height !== 0) return;
      const entry = start / size;
      const key = `${bits / height}/${Math.floor(entry / 2 ** height)}`;
      const tile = tiles.get(key) ?? [];
      assert.equal(tile.length, entry % 2 ** height, 'entries arrive in order');
      tile.push(root);
      tiles.set(key, tile);
    });
  }
  return tiles;
}

const reader = (tiles: Map<string, Buffer[]>) => (tile: TileAddress) =>
  Promise.resolve(tiles.get(`${tile.level}/${tile.index}`) ?? []);

test('a subtree is found in one tile: its level, index, first entry and count', () => {
  assert.deepEqual(tileSpan({ start: 0, end: 1 }), { tile: { level: 0, index: 0 }, offset: 0, count: 1 });
  assert.deepEqual(tileSpan({ start: 512, end: 640 }), {
    tile: { level: 0, index: 2 },
    offset: 0,
    count: 128,
  });
  assert.deepEqual(tileSpan({ start: 256, end: 512 }), { tile: { level: 1, index: 0 }, offset: 1, count: 1 });
  assert.deepEqual(tileSpan({ start: 65_536 * 3, end: 65_536 * 4 }), {
    tile: { level: 2, index: 0 },
    offset: 3,
    count: 1,
  });
  assert.throws(() => tileSpan({ start: 1, end: 3 }), /not a complete subtree/);
});

test('proofs and roots from tiles of heights 1, 2 and 3 are the whole tree’s', async () => {
  const leaves = Array.from({ length: 300 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
  const tree = new MemoryTree(leaves);
  for (const height of [1, 2, 3]) {
    const tiles = new TileHashes(reader(buildTiles(leaves, height)), height);
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) =>
            fc.tuple(
              fc.constant(size),
              fc.integer({ min: 0, max: size - 1 }),
              fc.integer({ min: 1, max: size }),
            ),
          ),
        async ([size, index, from]) => {
          assert.ok((await rootHash(tiles, size)).equals(await rootHash(tree, size)));
          assert.deepEqual(await inclusionProof(tiles, index, size), await inclusionProof(tree, index, size));
          assert.deepEqual(
            await consistencyProof(tiles, from, size),
            await consistencyProof(tree, from, size),
          );
        },
      ),
      { numRuns: 100 },
    );
  }
});

test('at the spec’s height 8, a tree of 70,000 leaves is rooted and proved from two levels of tiles', async () => {
  const leaves = Array.from({ length: 70_000 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
  const built = buildTiles(leaves, 8);
  assert.equal(built.get('1/0')?.length, 256, 'a full level-1 tile: 65,536 leaves');
  assert.equal(built.get('1/1')?.length, 17, 'a partial one');
  const tiles = new TileHashes(reader(built));
  const range = new CompactRange();
  for (const hash of leaves) range.append(hash);
  assert.ok((await rootHash(tiles, 70_000)).equals(range.root()));
  // Checked by the independent verifier: leaves at tile edges, in the full tile and the partial one.
  const root = range.root();
  for (const index of [0, 255, 256, 65_535, 65_536, 66_000, 69_999]) {
    const proof = await inclusionProof(tiles, index, 70_000);
    assert.ok(verifyInclusion(index, 70_000, leaves[index] as Buffer, proof, root), `leaf ${index}`);
  }
  const consistency = await consistencyProof(tiles, 65_537, 70_000);
  assert.ok(verifyConsistency(65_537, 70_000, await rootHash(tiles, 65_537), root, consistency));
  await assert.rejects(
    new TileHashes(reader(new Map())).subtree({ start: 0, end: 256 }),
    /does not hold/,
    'a tile not written yet is an error, never a wrong hash',
  );
});
