import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { maskRecipient } from '../../src/domain/masking.js';

/** How recipients were masked before the fast path for text without surrogate pairs. */
function reference(recipient: string): string {
  const at = recipient.lastIndexOf('@');
  if (at > 0) return `${Array.from(recipient.slice(0, at))[0] ?? ''}***${recipient.slice(at)}`;
  const chars = Array.from(recipient);
  const [head, tail] =
    chars.length >= 11 ? [3, 4] : chars.length >= 7 ? [2, 2] : chars.length >= 4 ? [1, 1] : [0, 0];
  return `${chars.slice(0, head).join('')}****${chars.slice(chars.length - tail).join('')}`;
}

test('maskRecipient: the reference examples', () => {
  assert.equal(maskRecipient('13800138000'), '138****8000');
  assert.equal(maskRecipient('alice@example.com'), 'a***@example.com');
  assert.equal(maskRecipient('😀lice@example.com'), '😀***@example.com');
  assert.equal(maskRecipient('😀😀😀😀😀😀😀😀😀😀😀'), '😀😀😀****😀😀😀😀');
  assert.equal(maskRecipient('abc'), '****');
});

test('maskRecipient masks every text as it did before, characters outside the BMP included', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 24 }), fc.boolean(), (text, withAt) => {
      const recipient = withAt ? `${text}@example.com` : text;
      assert.equal(maskRecipient(recipient), reference(recipient));
    }),
    { numRuns: 5000 },
  );
});
