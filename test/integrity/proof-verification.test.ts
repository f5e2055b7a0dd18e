/**
 * sealog's RFC 9162 proof verification (src/integrity/merkle/proof-verification.ts) accepts every
 * proof the tree gives and, on proofs altered in every way tried, answers as the independent
 * verifier of test/helpers does: both refuse them.
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
import { verifyConsistency, verifyInclusion } from '../../src/integrity/merkle/proof-verification.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import * as independent from '../helpers/independent-merkle.js';

const leaves = Array.from({ length: 300 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
const tree = new MemoryTree(leaves);

/** Proofs altered: a bit flipped in each element, one element dropped, one added, order reversed. */
function alterations(proof: readonly Buffer[]): Buffer[][] {
  const altered: Buffer[][] = proof.map((_, i) =>
    proof.map((hash, j) =>
      i === j ? Buffer.from(hash.map((byte, k) => (k === 7 ? byte ^ 0x10 : byte))) : hash,
    ),
  );
  if (proof.length > 0) altered.push(proof.slice(1), proof.slice(0, -1));
  if (proof.length > 1) altered.push([...proof].reverse());
  altered.push([...proof, leaves[0] as Buffer]);
  return altered;
}

test('inclusion: every proof verifies; altered proofs, leaves, indexes and sizes do not, as independently', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1))),
      async ([size, index]) => {
        const root = await rootHash(tree, size);
        const leaf = leaves[index] as Buffer;
        const proof = await inclusionProof(tree, index, size);
        assert.ok(verifyInclusion(index, size, leaf, proof, root));
        for (const altered of alterations(proof)) {
          assert.equal(verifyInclusion(index, size, leaf, altered, root), false);
          assert.equal(independent.verifyInclusion(index, size, leaf, altered, root), false);
        }
        assert.equal(verifyInclusion(index - 1, size, leaf, proof, root), false);
        // (The independent verifier does not check for negative indexes: only the others are compared.)
        for (const [i, n] of [
          [index + 1, size],
          [index, size + 1],
          [index, size - 1],
          [index, size * 2],
        ] as const) {
          const mine = verifyInclusion(i, n, leaf, proof, root);
          assert.equal(mine, independent.verifyInclusion(i, n, leaf, proof, root), `leaf ${i} of ${n}`);
        }
        assert.equal(verifyInclusion(index, size, leaves[index + 1] ?? EMPTY_ROOT, proof, root), false);
      },
    ),
    { numRuns: 300 },
  );
});

test('consistency: every proof verifies; altered proofs, roots and sizes do not, as independently', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: 300 })
        .chain((size) => fc.tuple(fc.integer({ min: 1, max: size }), fc.constant(size))),
      async ([first, second]) => {
        const [firstRoot, secondRoot] = [await rootHash(tree, first), await rootHash(tree, second)];
        const proof = await consistencyProof(tree, first, second);
        assert.ok(verifyConsistency(first, second, firstRoot, secondRoot, proof));
        for (const altered of alterations(proof)) {
          assert.equal(verifyConsistency(first, second, firstRoot, secondRoot, altered), false);
          assert.equal(independent.verifyConsistency(first, second, firstRoot, secondRoot, altered), false);
        }
        for (const [m, n] of [
          [first + 1, second],
          [first - 1, second],
          [first, second + 1],
          [first, second - 1],
        ] as const) {
          const mine = verifyConsistency(m, n, firstRoot, secondRoot, proof);
          assert.equal(
            mine,
            independent.verifyConsistency(m, n, firstRoot, secondRoot, proof),
            `${m} → ${n}`,
          );
        }
        if (first < second)
          assert.equal(verifyConsistency(first, second, secondRoot, secondRoot, proof), false);
      },
    ),
    { numRuns: 300 },
  );
});

test('edge cases: empty trees, equal sizes, malformed input answer false without throwing', async () => {
  const root8 = await rootHash(tree, 8);
  const root5 = await rootHash(tree, 5);
  assert.equal(verifyConsistency(0, 8, EMPTY_ROOT, root8, []), false, 'nothing to prove from 0');
  assert.equal(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []), false);
  assert.equal(verifyConsistency(8, 8, root8, root8, []), true);
  assert.equal(verifyConsistency(8, 8, root8, root8, [root8]), false, 'equal sizes take an empty proof');
  assert.equal(verifyConsistency(8, 8, root8, root5, []), false);
  assert.equal(verifyConsistency(5, 8, root5, root8, []), false);
  assert.equal(verifyInclusion(0, 0, leaves[0] as Buffer, [], EMPTY_ROOT), false);
  assert.equal(verifyInclusion(0, 1, leaves[0] as Buffer, [], leaves[0] as Buffer), true);
  const proof = await inclusionProof(tree, 3, 8);
  assert.equal(verifyInclusion(3, 8, leaves[3] as Buffer, proof, root8), true);
  assert.equal(verifyInclusion(3.5, 8, leaves[3] as Buffer, proof, root8), false);
  assert.equal(verifyInclusion(-1, 8, leaves[3] as Buffer, proof, root8), false);
  assert.equal(verifyInclusion(3, 8, (leaves[3] as Buffer).subarray(1), proof, root8), false);
  assert.equal(
    verifyInclusion(3, 8, leaves[3] as Buffer, [...proof.slice(1), Buffer.alloc(31)], root8),
    false,
  );
  assert.equal(verifyInclusion(3, 8, leaves[3] as Buffer, proof, root8.subarray(0, 31)), false);
  assert.equal(verifyInclusion(3, Number.NaN, leaves[3] as Buffer, proof, root8), false);
  // Sizes beyond 32 bits: the last leaf of a tree of 2^40 + 1 leaves, whose first 2^40 have root A.
  const [big, a, leaf] = [2 ** 40, root5, leaves[9] as Buffer];
  const root = nodeHash(a, leaf);
  assert.equal(verifyInclusion(big, big + 1, leaf, [a], root), true);
  assert.equal(verifyInclusion(big - 1, big + 1, leaf, [a], root), false);
  assert.equal(verifyConsistency(big, big + 1, a, root, [leaf]), true);
  assert.equal(verifyConsistency(big, big * 2 + 1, a, root, [leaf]), false);
  assert.equal(independent.verifyConsistency(big, big + 1, a, root, [leaf]), true);
});
