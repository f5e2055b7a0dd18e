/**
 * The checkpoint guard: a checkpoint is signed only as an extension of the latest one, proved from
 * the log's tiles. Growth is accepted; a fork, a shrink, another root at the same size, and a root
 * the tiles do not give are refused with their reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkCheckpoint, type TreeHead } from '../../src/integrity/checkpoints/checkpoint-guard.js';
import { MemoryTree, rootHash } from '../../src/integrity/merkle/merkle-proofs.js';
import { EMPTY_ROOT, leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { TileCache } from '../../src/integrity/merkle/tile-cache.js';
import type { LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';

const leaves = Array.from({ length: 1_000 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
/** The same log forked at leaf 400: another leaf there, the same after. */
const forked = leaves.map((hash, n) => (n === 400 ? leafHash(Buffer.from('forged')) : hash));
const tree = new MemoryTree(leaves);
const fork = new MemoryTree(forked);

const head = async (source: MemoryTree, size: number): Promise<TreeHead> => ({
  size,
  root: await rootHash(source, size),
});

test('growth is accepted, from nothing, from the empty tree and from any smaller checkpoint', async () => {
  assert.deepEqual(await checkCheckpoint(undefined, await head(tree, 0), tree), { accepted: true });
  assert.deepEqual(await checkCheckpoint(undefined, await head(tree, 700), tree), { accepted: true });
  assert.deepEqual(await checkCheckpoint({ size: 0, root: EMPTY_ROOT }, await head(tree, 1), tree), {
    accepted: true,
  });
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: 1_000 })
        .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))),
      async ([m, n]) => {
        assert.deepEqual(await checkCheckpoint(await head(tree, m), await head(tree, n), tree), {
          accepted: true,
        });
      },
    ),
    { numRuns: 100 },
  );
});

test('a shrink, another root at the same size, and a fork are refused', async () => {
  const latest = await head(tree, 600);
  const verdict = async (candidate: TreeHead, source = tree, from = latest) =>
    checkCheckpoint(from, candidate, source);
  assert.equal(((await verdict(await head(tree, 599))) as { reason: string }).reason, 'shrink');
  assert.equal(((await verdict(await head(fork, 600))) as { reason: string }).reason, 'same-size-other-root');
  assert.deepEqual(await verdict(latest), { accepted: true }, 're-signing the latest changes nothing');
  // The tiles now hold the forked log: its growth does not extend what was signed.
  const refused = await verdict(await head(fork, 800), fork);
  assert.deepEqual(refused, {
    accepted: false,
    reason: 'not-an-extension',
    message: 'the latest checkpoint is not a prefix of the tree to sign (600 → 800 leaves)',
  });
  // Signed before the fork point, the forked log does extend it.
  assert.deepEqual(await verdict(await head(fork, 800), fork, await head(tree, 400)), { accepted: true });
  // A latest checkpoint of the empty tree with another root is no prefix of anything.
  const badEmpty = { size: 0, root: leaves[0] as Buffer };
  assert.equal(
    ((await verdict(await head(tree, 5), tree, badEmpty)) as { reason: string }).reason,
    'not-an-extension',
  );
});

test('a root the tiles do not give for its size is refused, first checkpoint included', async () => {
  const wrong = { size: 800, root: await rootHash(fork, 800) };
  for (const latest of [undefined, await head(tree, 300)]) {
    const verdict = await checkCheckpoint(latest, wrong, tree);
    assert.equal(verdict.accepted ? 'accepted' : verdict.reason, 'root-not-in-tree');
  }
  await assert.rejects(checkCheckpoint(undefined, { size: 1_001, root: EMPTY_ROOT }, tree), RangeError);
  await assert.rejects(checkCheckpoint(undefined, { size: -1, root: EMPTY_ROOT }, tree), /not a tree head/);
  await assert.rejects(
    checkCheckpoint(undefined, { size: 1, root: Buffer.alloc(31) }, tree),
    /not a tree head/,
  );
});

test('checked against a store’s tiles through the tile cache, as the signer will', async () => {
  const store = new MemoryIntegrityStore();
  const log: LogId = { tenantId: 'acme', kind: 'operate-log' };
  store.assignLeaves(log, 1_000);
  const tiles = new TileCache().log('acme', (addresses) => store.readTiles(log, addresses));
  let appender = TreeAppender.empty();
  let latest: TreeHead | undefined;
  for (const size of [1, 255, 256, 257, 700, 1_000]) {
    const { update, next } = appender.append(leaves.slice(appender.size, size));
    assert.equal(await store.appendTree(log, update), true);
    appender = next;
    const { treeSize, root } = await store.logState(log);
    const candidate = { size: treeSize, root };
    assert.deepEqual(await checkCheckpoint(latest, candidate, tiles), { accepted: true }, `at ${size}`);
    if (latest !== undefined) {
      const other = { size: latest.size, root: await rootHash(fork, latest.size) };
      const verdict = await checkCheckpoint(other, candidate, tiles);
      assert.equal(verdict.accepted, latest.size <= 400, `a fork at leaf 400 signed at ${latest.size}`);
    }
    latest = candidate;
  }
});
