/** PostgreSQL's logs: the same scenario as the embedded store's (see sequencing-scenario.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { hashLeaf } from '../helpers/independent-merkle.js';
import { expectedLeaves, withoutColumns, type RawStore } from '../integrity/log-rebuild.js';
import { runSequencingScenario } from '../integrity/sequencing-scenario.js';
import { operateLog } from '../storage/store-contract.js';
import { waitFor } from '../helpers/wait-for.js';

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
  () =>
    withMigratedStore(4, async (store, url) => {
      const raw = await rawPostgres(url);
      try {
        await runSequencingScenario(store, raw);
        await assertClaimedLeafHashes(url, raw);
      } finally {
        await raw.close();
      }
    }),
);

/** Runs `work` on a migrated store (`poolSize` connections) in a test schema of its own, dropped after. */
async function withMigratedStore(
  poolSize: number,
  work: (store: PostgresStore, url: string) => Promise<void>,
): Promise<void> {
  const schema = await createTestSchema();
  const store = new PostgresStore({
    url: schema.url,
    poolSize,
    statementTimeoutMs: 30_000,
    unavailableTimeoutMs: 5_000,
  });
  try {
    await store.migrate();
    await work(store, schema.url);
  } finally {
    await store.close();
    await schema.drop();
  }
}

/**
 * Each record written through the store carries its leaf hash in its claim (what the sequencer
 * hashes the tree from), and it is the hash of the leaf recomputed from the row apart from src/.
 */
async function assertClaimedLeafHashes(url: string, raw: RawStore): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: logs } = await client.query<{ tenant_id: string; kind: string }>(
      'SELECT tenant_id, kind FROM integrity_logs ORDER BY tenant_id, kind',
    );
    let checked = 0;
    for (const { tenant_id: tenant, kind } of logs) {
      const texts = await expectedLeaves(raw, tenant, kind);
      const { rows } = await client.query<{ transition: number; leaf_hash: Buffer | null }>(
        `SELECT l.transition, k.leaf_hash FROM integrity_leaves l
           LEFT JOIN ${KEYS_TABLE[kind]} k ON k.tenant_id = l.tenant_id AND k.id = l.record_id
          WHERE l.tenant_id = $1 AND l.kind = $2 ORDER BY l.leaf_index`,
        [tenant, kind],
      );
      rows.forEach(({ transition, leaf_hash: hash }, index) => {
        if (transition !== 0) return;
        assert.ok(hash !== null, `${kind} of ${tenant}: leaf ${index} has no hash in its claim`);
        assert.equal(hash.toString('hex'), hashLeaf(Buffer.from(texts[index] ?? '', 'utf8')).toString('hex'));
        checked++;
      });
    }
    assert.ok(checked > 0, 'no record leaf checked');
  } finally {
    await client.end();
  }
}

const KEYS_TABLE: Record<string, string> = {
  'communication-log': 'communication_log_keys',
  'mfa-config-audit-log': 'mfa_config_audit_log_keys',
  'operate-log': 'operate_log_keys',
  'access-log': 'access_log_keys',
};

/**
 * Platform batches naming many tenants, written by several clients at once: on Citus each spans
 * workers and commits with two-phase commit (the coordinator first), so this is where a horizon
 * taken on the coordinator could pass a write the workers do not show yet. Once the sequencer's
 * cursor is past every write, every claim must have its leaf. On plain PostgreSQL the same holds.
 */
test(
  'PostgreSQL: every row of concurrent batches spanning tenants gets its leaf (two-phase commits on Citus)',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  (t) =>
    withMigratedStore(8, async (store, url) => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        const [clients, batches, rows, tenants] = [6, 30, 20, 10];
        await Promise.all(
          Array.from({ length: clients }, async (_, writer) => {
            for (let batch = 0; batch < batches; batch++) {
              await store.operateLogs.insertMany(
                Array.from({ length: rows }, (_, row) =>
                  operateLog({ id: `op_${writer}_${batch}_${row}`, tenant_id: `tnt_${row % tenants}` }),
                ),
              );
            }
          }),
        );
        const count = async (sql: string): Promise<number> =>
          Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
        // Past every write: the last write's transaction is below the cursor.
        await waitFor('the sequencer’s cursor to pass every write', async () => {
          const { rows: past } = await client.query<{ past: boolean }>(
            `SELECT c.txid > (SELECT max(txid) FROM operate_log_keys) AS past
             FROM integrity_cursor c WHERE kind = 'operate-log'`,
          );
          return past[0]?.past === true;
        });
        const claims = await count('SELECT count(*) AS n FROM operate_log_keys');
        const leaves = await count("SELECT count(*) AS n FROM integrity_leaves WHERE kind = 'operate-log'");
        t.diagnostic(`${claims} claims, ${leaves} leaves`);
        assert.equal(claims, clients * batches * rows);
        assert.equal(leaves, claims, 'a write below the cursor has no leaf');
      } finally {
        await client.end().catch(() => undefined);
      }
    }),
);
