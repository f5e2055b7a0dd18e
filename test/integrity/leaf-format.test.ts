/**
 * Leaf formats derived from the kinds' tables: which members a leaf has, in which declared order,
 * what is left out (the search copy), what is refused (a column clashing with a header member), and
 * the documentation table docs/integrity.md holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as prettier from 'prettier';
import type { LogTable } from '../../src/kinds/log-table.js';
import { LOG_TABLES } from '../../src/kinds/log-tables.js';
import {
  leafFieldsMarkdown,
  RECORD_LEAF_FORMATS,
  recordLeafFormat,
  TRANSITION_LEAF_FORMAT,
} from '../../src/integrity/leaves/leaf-format.js';

test('formats: every column of the table, its envelope, and the transition members, in order', () => {
  assert.equal(RECORD_LEAF_FORMATS.size, LOG_TABLES.length);
  for (const table of LOG_TABLES) {
    const { fields, valueFields } = RECORD_LEAF_FORMATS.get(table.kind) ?? recordLeafFormat(table);
    const columns = table.columns.map(([name]) => name);
    assert.deepEqual(
      fields.map((field) => field.name),
      ['v', 'type', 'kind', ...columns, 'sealed'],
    );
    assert.deepEqual(valueFields, [...columns, 'sealed']);
    assert.equal(fields.find((field) => field.name === 'kind')?.constant, table.kind);
    const role = (name: string) => fields.find((field) => field.name === name)?.role;
    for (const name of table.sealing.sealed) assert.equal(role(name), 'sealed');
    for (const name of table.sealing.separate ?? []) assert.equal(role(name), 'separate');
    assert.equal(role(table.sealing.subject), 'subject');
  }
  const transitionRoles = new Map(TRANSITION_LEAF_FORMAT.fields.map((field) => [field.name, field.role]));
  for (const name of ['error', 'response', 'prev_error', 'prev_response']) {
    assert.equal(transitionRoles.get(name), 'separate', name);
  }
  assert.deepEqual(TRANSITION_LEAF_FORMAT.valueFields, [
    ...['tenant_id', 'log_id', 'transition', 'from_status', 'to_status', 'error', 'response', 'sent_at'],
    ...['changed_at', 'prev_error', 'prev_response', 'prev_sent_at', 'prev_updated_at'],
  ]);
  const table = (names: readonly string[], sealing: LogTable['sealing']): LogTable => ({
    ...{ kind: 'k', table: 'ks', timeColumn: 'id', keysTable: 'k_keys', idPrefix: 'k_', sealing },
    retention: { defaultPeriod: 'forever' },
    columns: ['tenant_id', 'id', ...names].map((name) => [name, 'text'] as const),
  });
  const searchCopy = { column: 'search_text', of: 'note' };
  const searchable = table(['note', 'search_text'], { sealed: ['note'], subject: 'id', searchCopy });
  assert.deepEqual(recordLeafFormat(searchable).valueFields, ['tenant_id', 'id', 'note', 'sealed']);
  assert.throws(() => recordLeafFormat(table(['type'], { sealed: [], subject: 'id' })), /type appears twice/);
  assert.throws(
    () => recordLeafFormat(table([], { sealed: ['nope'], subject: 'id' })),
    /nope, which is not a column/,
  );
});

test('the documentation table names every field and marks sealed, separate and subject fields', async () => {
  const communication = RECORD_LEAF_FORMATS.get('communication-log');
  assert.ok(communication);
  const markdown = leafFieldsMarkdown(communication);
  const lines = markdown.split('\n');
  assert.match(lines[0] ?? '', /^\| field +\| JSON type +\| meaning +\|$/);
  for (const name of ['recipient', 'content'])
    assert.match(markdown, new RegExp(`\\| \`${name}\` .*\\*\\*sealed\\*\\*`));
  for (const name of ['error', 'response'])
    assert.match(markdown, new RegExp(`\\| \`${name}\` .*\\*\\*sealed separately\\*\\*`));
  assert.match(markdown, /\| `user_id` .*\*\*subject\*\*/);
  assert.match(markdown, /\| `v` +\| integer `1` /);
  assert.match(leafFieldsMarkdown(TRANSITION_LEAF_FORMAT), /\| `prev_updated_at` .*legacy/);
  // The docs hold the tables verbatim, and `prettier --check .` must leave them as they are.
  for (const format of [...RECORD_LEAF_FORMATS.values(), TRANSITION_LEAF_FORMAT]) {
    const table = leafFieldsMarkdown(format);
    assert.equal(await prettier.format(table, { parser: 'markdown', printWidth: 110 }), table, format.kind);
    for (const { name } of format.fields) assert.match(table, new RegExp(`^\\| \`${name}\` `, 'm'));
  }
});
