/**
 * A released migration's text never changes: a store that applied it would differ from one that
 * applies the new text. Some are generated from a kind's description (log-table-ddl.ts), so a
 * change to a description or a generator could alter them silently; this pins every one. A new
 * migration adds its line here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { knownMigrations as postgresMigrations } from '../../src/storage/postgres/migrations.js';
import { knownMigrations as sqliteMigrations } from '../../src/storage/sqlite/migrations.js';

/** The first 16 hex digits of each migration text's SHA-256, by store and version. */
const RELEASED = {
  sqlite: [
    'cc132d1668c83db8',
    '9ff3b57f4466f045',
    'e82fbf131f7efb26',
    '32977a2e141345d6',
    '2f55f1e2afa732c1',
    '5139929ecd9990e5',
    '32abcdd3918caa89',
    '7c2eb93510962dc4',
    '7e03f2b1f2b38481',
    '27e0dc5301df295b',
    '13c455e28f90a531',
    'c436628c65f94fe8',
    'b5fc1f79d8c0ab0d',
    '7766541810240b5b',
  ],
  postgres: [
    '4f1b0c0853f93ccc',
    '04461ab221a4bf48',
    '7826cd78eb403659',
    'd34fde33dea62f57',
    'f978820ff8dea487',
    '7234da751bdbcc23',
    'c102586c797fac44',
    '1a119faf56892610',
    'f74ab60db1541040',
    '391f0bc2d9a54727',
    'a2ec6725f93e41c8',
    '1a593128e394b506',
    '86be7d24ed349a7c',
    '671dc6876c54259c',
  ],
};

const digest = (sql: string) => createHash('sha256').update(sql).digest('hex').slice(0, 16);

test('the migrations of both stores are the texts released', () => {
  assert.deepEqual(
    sqliteMigrations().map(({ sql }) => digest(sql)),
    RELEASED.sqlite,
  );
  assert.deepEqual(
    postgresMigrations().map(({ sql }) => digest(sql)),
    RELEASED.postgres,
  );
});
