/**
 * The Merkle tree of src/integrity/merkle against published RFC 6962 test vectors and against the
 * independent RFC 9162 verifier in test/helpers/independent-merkle.ts.
 *
 * The vectors are those of transparency-dev/merkle (Apache-2.0): testonly/constants.go (leaf
 * inputs, the hashes of every complete subtree, the roots of the trees of 0 to 8 leaves) and
 * cmd/proofgen/main.go (inclusion proofs of leaves 1, 6, 3, 2 — counted from 1 there — and
 * consistency proofs), as Certificate Transparency publishes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  consistencyProof,
  inclusionProof,
  MemoryTree,
  rootHash,
} from '../../src/integrity/merkle/merkle-proofs.js';
import { CompactRange } from '../../src/integrity/merkle/compact-range.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../helpers/independent-merkle.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const hexes = (list: readonly Buffer[]) => list.map((hash) => hash.toString('hex'));

const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);

/** Roots of the trees of the first 0…8 leaves. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** The leaf hashes (level 0) of the vectors. */
const LEVEL_0 = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];

/** Inclusion proofs: leaf (from 1, as the vectors count), tree size, proof. */
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** Consistency proofs: old size, new size, proof. */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

/** Flips the lowest bit of a hash's first byte. */
function flipBit(hash: Buffer | undefined): void {
  if (hash !== undefined) hash[0] = (hash[0] ?? 0) ^ 1;
}

const vectorTree = new MemoryTree(LEAF_INPUTS.map(leafHash));

test('RFC 6962 hashing: the vectors’ leaf hashes, the empty root, the roots of 0 to 8 leaves', async () => {
  assert.deepEqual(hexes(LEAF_INPUTS.map(leafHash)), LEVEL_0);
  assert.equal(EMPTY_ROOT.toString('hex'), ROOTS[0]);
  for (let size = 0; size <= 8; size++) {
    const tree = new MemoryTree(LEAF_INPUTS.slice(0, size).map(leafHash));
    assert.equal((await rootHash(tree, size)).toString('hex'), ROOTS[size], `root of ${size} leaves`);
  }
  assert.equal(
    nodeHash(hex(LEVEL_0[0] ?? ''), hex(LEVEL_0[1] ?? '')).toString('hex'),
    ROOTS[2],
    'an interior node is SHA-256(0x01 ‖ left ‖ right)',
  );
});

test('inclusion proofs are exactly the published ones', async () => {
  for (const [leaf, size, expected] of INCLUSION) {
    assert.deepEqual(
      hexes(await inclusionProof(vectorTree, leaf - 1, size)),
      expected,
      `leaf ${leaf} of ${size}`,
    );
  }
});

test('consistency proofs are exactly the published ones', async () => {
  for (const [from, to, expected] of CONSISTENCY) {
    assert.deepEqual(hexes(await consistencyProof(vectorTree, from, to)), expected, `${from} → ${to}`);
  }
});

test('a proof outside the tree is refused, never computed', async () => {
  await assert.rejects(inclusionProof(vectorTree, 8, 8), RangeError);
  await assert.rejects(inclusionProof(vectorTree, 0, 0), RangeError);
  await assert.rejects(consistencyProof(vectorTree, 0, 8), RangeError);
  await assert.rejects(consistencyProof(vectorTree, 5, 4), RangeError);
});

test('every proof of trees up to 300 leaves convinces the independent RFC 9162 verifier, and no altered one does', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300 }).chain((size) =>
        fc.record({
          size: fc.constant(size),
          index: fc.integer({ min: 0, max: size - 1 }),
          from: fc.integer({ min: 1, max: size }),
          flip: fc.nat(),
        }),
      ),
      async ({ size, index, from, flip }) => {
        const leaves = Array.from({ length: size }, (_, n) => Buffer.from(`leaf ${n}`));
        const tree = new MemoryTree(leaves.map(leafHash));
        const root = await rootHash(tree, size);
        const inclusion = await inclusionProof(tree, index, size);
        assert.ok(verifyInclusion(index, size, hashLeaf(leaves[index] as Buffer), inclusion, root));
        const oldRoot = await rootHash(tree, from);
        const consistency = await consistencyProof(tree, from, size);
        assert.ok(verifyConsistency(from, size, oldRoot, root, consistency));
        if (inclusion.length > 0) {
          const altered = inclusion.map((hash) => Buffer.from(hash));
          flipBit(altered[flip % altered.length]);
          assert.ok(!verifyInclusion(index, size, hashLeaf(leaves[index] as Buffer), altered, root));
        }
        if (consistency.length > 0) {
          const altered = consistency.map((hash) => Buffer.from(hash));
          flipBit(altered[flip % altered.length]);
          assert.ok(!verifyConsistency(from, size, oldRoot, root, altered));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a compact range roots every prefix as the whole tree does, and reports each complete subtree once', async () => {
  const range = new CompactRange();
  assert.equal(range.root().toString('hex'), ROOTS[0]);
  LEAF_INPUTS.forEach((leaf, n) => {
    range.append(leafHash(leaf));
    assert.equal(range.root().toString('hex'), ROOTS[n + 1], `root of ${n + 1} leaves`);
  });
  const leaves = Array.from({ length: 300 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
  const tree = new MemoryTree(leaves);
  const growing = new CompactRange();
  const completed: { start: number; size: number; root: Buffer }[] = [];
  for (const [n, hash] of leaves.entries()) {
    growing.append(hash, (start, size, root) => completed.push({ start, size, root }));
    assert.ok(growing.root().equals(await rootHash(tree, n + 1)), `root of ${n + 1} leaves`);
  }
  // Each reported subtree is the one the whole tree holds there.
  for (const { start, size, root } of completed) {
    assert.ok((await tree.subtree({ start, end: start + size })).equals(root), `subtree ${start}+${size}`);
  }
  // Every aligned power-of-two block within 300 leaves, exactly once: 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
  assert.equal(new Set(completed.map(({ start, size }) => `${start}+${size}`)).size, completed.length);
  assert.equal(completed.length, 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1);
  assert.equal(growing.size, 300);
});
