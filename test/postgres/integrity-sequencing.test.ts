/** PostgreSQL's logs: the same scenario as the embedded store's (see sequencing-scenario.ts). */
import { test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { withoutColumns, type RawStore } from '../integrity/log-rebuild.js';
import { runSequencingScenario } from '../integrity/sequencing-scenario.js';

/** Raw reads on a connection of its own (bigint columns read as numbers, as the stores do). */
export async function rawPostgres(url: string): Promise<RawStore & { close(): Promise<void> }> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  return {
    leaves: async (tenant, kind) =>
      (
        await client.query<{ record_id: string; transition: number }>(
          'SELECT record_id, transition FROM integrity_leaves WHERE tenant_id = $1 AND kind = $2 ORDER BY leaf_index',
          [tenant, kind],
        )
      ).rows,
    record: async (table, tenant, id) =>
      (
        await client.query<Record<string, unknown>>(
          `SELECT * FROM ${table} WHERE tenant_id = $1 AND id = $2`,
          [tenant, id],
        )
      ).rows[0] ?? {},
    history: async (tenant, logId) =>
      (
        await client.query<Record<string, unknown>>(
          'SELECT * FROM communication_log_transitions WHERE tenant_id = $1 AND log_id = $2 ORDER BY seq',
          [tenant, logId],
        )
      ).rows.map((row) => withoutColumns(row, 'seq', 'txid')),
    close: () => client.end(),
  };
}

test(
  'PostgreSQL: every record and transition is a leaf in commit order; each root is the RFC 6962 root of its rows',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  async () => {
    const schema = await createTestSchema();
    const store = new PostgresStore({
      url: schema.url,
      poolSize: 4,
      statementTimeoutMs: 30_000,
      unavailableTimeoutMs: 5_000,
    });
    try {
      await store.migrate();
      const raw = await rawPostgres(schema.url);
      try {
        await runSequencingScenario(store, raw);
      } finally {
        await raw.close();
      }
    } finally {
      await store.close();
      await schema.drop();
    }
  },
);
