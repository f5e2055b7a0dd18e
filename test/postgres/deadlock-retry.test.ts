/**
 * A statement PostgreSQL picks as a deadlock's victim (40P01) is run again by the pool: it was its
 * whole transaction, rolled back, and the other side has gone on. Real PostgreSQL, a real deadlock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PgPool } from '../../src/storage/postgres/pg-executor.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { waitFor } from '../helpers/wait-for.js';

test(
  'a statement chosen as a deadlock victim is run again and succeeds',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  async () => {
    const schema = await createTestSchema();
    const pool = new PgPool({
      url: schema.url,
      poolSize: 1,
      statementTimeoutMs: 120_000,
      unavailableTimeoutMs: 30_000,
    });
    const other = new pg.Client({ connectionString: schema.url });
    try {
      await other.connect();
      await other.query('CREATE TABLE first_t (n integer); CREATE TABLE second_t (n integer)');
      // The other session never looks for deadlocks itself, so the pool's statement is the victim.
      await other.query("SET deadlock_timeout = '1h'");
      await other.query('BEGIN');
      await other.query('LOCK TABLE first_t IN ACCESS EXCLUSIVE MODE');
      const statement = pool.query(
        'DO $$ BEGIN LOCK TABLE second_t IN ACCESS EXCLUSIVE MODE; LOCK TABLE first_t IN ACCESS EXCLUSIVE MODE; END $$',
      );
      await waitFor('the pool’s statement to wait for first_t', async () => {
        const { rows } = await other.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_locks WHERE relation = 'first_t'::regclass AND NOT granted",
        );
        return Number(rows[0]?.n) > 0;
      });
      // Closes the cycle: PostgreSQL cancels the pool's statement (40P01), this one gets second_t.
      await other.query('LOCK TABLE second_t IN ACCESS EXCLUSIVE MODE');
      await other.query('COMMIT');
      await statement; // run again after the victim's rollback: no error reaches the caller
      const { rows } = await other.query<{ deadlocks: string }>(
        'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()',
      );
      assert.ok(Number(rows[0]?.deadlocks) >= 1, 'a deadlock was detected');
    } finally {
      await other.end().catch(() => undefined);
      await pool.close();
      await schema.drop();
    }
  },
);
