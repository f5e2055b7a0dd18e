/**
 * `sealog verify` (the real CLI) without a verdict to give: exit 2, never 1 (which says tampering
 * was found), with a message naming what to check — and a path without a store stays without one.
 * What it finds in a real store, and its exit 1, is integrity-tamper.test.ts's.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from './helpers/cli-process.js';

const directory = mkdtempSync(join(tmpdir(), 'sealog-verify-'));
after(() => {
  rmSync(directory, { recursive: true, force: true });
});

test('a SQLite path without a store: exit 2 naming it, and nothing created', async () => {
  const missing = join(directory, 'nowhere', 'sealog.db');
  const outcome = await runCli(['verify', '--database-url', `sqlite:${missing}`]);
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.ok(outcome.stderr.includes(missing), outcome.stderr);
  assert.match(outcome.stderr, /check DATABASE_URL/);
  assert.equal(existsSync(join(directory, 'nowhere')), false, 'no directory made');

  // In an existing directory: no database file, no -wal or -shm, no generated key file.
  const empty = join(directory, 'empty');
  mkdirSync(empty);
  const beside = await runCli(['verify', '--json'], { DATABASE_URL: `sqlite:${join(empty, 'sealog.db')}` });
  assert.equal(beside.code, 2, beside.stderr);
  assert.equal(beside.stdout, '');
  assert.deepEqual(readdirSync(empty), []);
});

test('a directory, or a file that is no store: exit 2, the file left as it was', async () => {
  const folder = await runCli(['verify', '--database-url', `sqlite:${directory}`]);
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /is not a file/);

  const notes = join(directory, 'notes.txt');
  writeFileSync(notes, 'not a database');
  const text = await runCli(['verify', '--database-url', `sqlite:${notes}`]);
  assert.equal(text.code, 2, text.stderr);
  assert.equal(readFileSync(notes, 'utf8'), 'not a database');

  // A SQLite database, but no sealog store: the integrity log cannot be read.
  const other = join(directory, 'other.db');
  new Database(other).close();
  const foreign = await runCli(['verify', '--database-url', `sqlite:${other}`]);
  assert.equal(foreign.code, 2, foreign.stderr);
  assert.match(foreign.stderr, /cannot read the store's integrity log/);
});

test('a kind that is none: exit 2 listing the kinds, before the store is opened', async () => {
  const outcome = await runCli([
    'verify',
    '--kind',
    'operate-logs',
    '--database-url',
    `sqlite:${join(directory, 'absent.db')}`,
  ]);
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.match(outcome.stderr, /--kind: no log kind operate-logs \(kinds: communication-log, .*operate-log/);
});

test('an in-memory store holds nothing to verify: exit 2', async () => {
  const outcome = await runCli(['verify', '--database-url', 'sqlite::memory:']);
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.match(outcome.stderr, /in-memory/);
});
