/** docs/integrity.md documents the leaf format the code writes: each kind's generated table is in it, verbatim. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  leafFieldsMarkdown,
  RECORD_LEAF_FORMATS,
  TRANSITION_LEAF_FORMAT,
} from '../../src/integrity/leaves/leaf-format.js';

test('docs/integrity.md holds the leaf table of every kind and of transitions, as the code generates them', () => {
  const doc = readFileSync(new URL('../../docs/integrity.md', import.meta.url), 'utf8');
  for (const format of [...RECORD_LEAF_FORMATS.values(), TRANSITION_LEAF_FORMAT]) {
    assert.ok(doc.includes(leafFieldsMarkdown(format)), `the ${format.kind} ${format.type} leaf table`);
  }
});
