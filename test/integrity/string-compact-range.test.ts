/**
 * The hashes `sealog verify` computes as binary strings (rfc6962-hashing.ts, string-compact-range.ts)
 * against the RFC 9162 reference of the tests (independent-merkle.ts, hashing of its own): leaf
 * hashes of texts over all of Unicode, and the root at every size of trees up to a few tiles.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CompactRange } from '../../src/integrity/merkle/compact-range.js';
import {
  EMPTY_ROOT,
  leafHashOfText,
  nodeHash,
  nodeHashOfStrings,
} from '../../src/integrity/merkle/rfc6962-hashing.js';
import { StringCompactRange } from '../../src/integrity/merkle/string-compact-range.js';
import { hashLeaf, merkleTreeHash } from '../helpers/independent-merkle.js';

const bytes = (binary: string) => Buffer.from(binary, 'latin1');

test('property: the leaf hash of a text is the RFC 6962 hash of its UTF-8 bytes', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      const hash = leafHashOfText(text);
      assert.equal(hash.length, 32);
      assert.deepEqual(bytes(hash), hashLeaf(Buffer.from(text, 'utf8')));
    }),
    { numRuns: 500 },
  );
  // A leaf is JSON text: NUL inside it, and bytes ≥ 0x80 in its hash, stay what they are.
  assert.deepEqual(bytes(leafHashOfText('a\u0000é')), hashLeaf(Buffer.from('a\u0000é', 'utf8')));
});

test('property: node hashes of binary strings are those of their bytes', () => {
  const hash = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((array) => Buffer.from(array).toString('latin1'));
  fc.assert(
    fc.property(hash, hash, (left, right) => {
      assert.deepEqual(bytes(nodeHashOfStrings(left, right)), nodeHash(bytes(left), bytes(right)));
    }),
    { numRuns: 300 },
  );
});

test('the root at every size up to 600 leaves is the reference root, and CompactRange agrees', () => {
  const leaves = Array.from({ length: 600 }, (_, index) => leafHashOfText(`leaf ${index} \u{1f600}`));
  const strings = new StringCompactRange();
  const buffers = new CompactRange();
  assert.deepEqual(strings.root(), EMPTY_ROOT);
  for (const [index, leaf] of leaves.entries()) {
    strings.append(leaf);
    buffers.append(bytes(leaf));
    assert.equal(strings.size, index + 1);
    const expected = merkleTreeHash(leaves.slice(0, index + 1).map(bytes));
    assert.deepEqual(strings.root(), expected, `size ${index + 1}`);
    assert.deepEqual(buffers.root(), expected, `size ${index + 1}`);
  }
});
