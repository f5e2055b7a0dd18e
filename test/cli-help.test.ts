import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONSOLE_LINK_HELP } from '../src/cli/console-link-command.js';
import { ERASE_HELP } from '../src/cli/erase-command.js';
import { MIGRATE_HELP } from '../src/cli/migrate-command.js';
import { PURGE_HELP } from '../src/cli/purge-command.js';
import { SERVE_HELP } from '../src/cli/serve-command.js';
import { formatOptions, HELP_WIDTH } from '../src/cli/settings-options.js';
import { TOKEN_HELP } from '../src/cli/token-command.js';
import { SETTINGS } from '../src/config.js';

/** The lines of a help text's option list: from "Options:" to the first blank line. */
function optionLines(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Options:');
  assert.ok(start !== -1, 'the help has an Options: section');
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/**
 * Where each line's description starts: an option line (`  -…`) holds the flag, maybe a variable,
 * then the description, separated by runs of two or more spaces; a continuation line is all
 * description after its indent.
 */
function descriptionColumns(lines: readonly string[]): number[] {
  return lines.map((line) => {
    if (/^ {2}-/.test(line)) {
      const gaps = [...line.matchAll(/ {2,}(?=\S)/g)];
      const last = gaps.at(-1);
      assert.ok(last !== undefined && gaps.length >= 2, `an option line with a description: "${line}"`);
      return last.index + last[0].length;
    }
    return line.length - line.trimStart().length;
  });
}

describe('--help text', () => {
  test('serve: every description starts in one column, each line within the help width', () => {
    const lines = optionLines(SERVE_HELP);
    for (const name of Object.keys(SETTINGS)) {
      assert.ok(
        lines.some((line) => new RegExp(` ${name} `).test(line)),
        `${name} is listed`,
      );
    }
    const columns = new Set(descriptionColumns(lines));
    assert.equal(columns.size, 1, `description columns ${[...columns].join(', ')}:\n${lines.join('\n')}`);
    // Settings name their variable in a column of its own, aligned too.
    const variableColumns = new Set(
      lines
        .filter((line) => /^ {2}--\S+ {2,}[A-Z][A-Z0-9_]+ {2}/.test(line))
        .map((line) => line.search(/ [A-Z][A-Z0-9_]+ {2}/) + 1),
    );
    assert.equal(variableColumns.size, 1, `variable columns ${[...variableColumns].join(', ')}`);
    // Only a word longer than the description column (a URL pattern) may run past the width.
    for (const line of lines) {
      assert.ok(line.length <= HELP_WIDTH || /^ +\S+$/.test(line), `${line.length} columns: "${line}"`);
    }
  });

  test('token, console-link, migrate, erase and purge: descriptions aligned with the setting rows among their own options', () => {
    for (const help of [TOKEN_HELP, CONSOLE_LINK_HELP, MIGRATE_HELP, ERASE_HELP, PURGE_HELP]) {
      const lines = optionLines(help);
      assert.equal(new Set(descriptionColumns(lines)).size, 1, lines.join('\n'));
      assert.match(lines.at(-1) ?? '', /^ {2}-h, --help {2,}show this help$/);
    }
  });

  test('formatOptions wraps long descriptions with a hanging indent and keeps short ones whole', () => {
    const text = formatOptions(
      [
        { flag: '--a', variable: 'A_LONG_VARIABLE', help: 'word '.repeat(30).trim() },
        { flag: '--much-longer-flag', help: 'short' },
      ],
      80,
    );
    const lines = text.split('\n');
    assert.equal(lines[0], `  --a                 A_LONG_VARIABLE  ${'word '.repeat(8).trim()}`);
    assert.ok(lines.length > 3, 'the long description wraps');
    assert.equal(lines.at(-1), '  --much-longer-flag                   short');
    assert.equal(new Set(descriptionColumns(lines)).size, 1, text);
    for (const line of lines) assert.ok(line.length <= 80, line);
  });

  test('formatOptions keeps a word longer than the line whole, on a line of its own', () => {
    const url = `postgres://${'x'.repeat(80)}`;
    const lines = formatOptions([{ flag: '--to', help: `copy into ${url} now` }], 40).split('\n');
    assert.deepEqual(lines, ['  --to  copy into', `        ${url}`, '        now']);
  });
});
