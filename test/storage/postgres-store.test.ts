import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { communicationLog, describeStoreContract } from './store-contract.js';

const settings = (url: string) => ({ url, poolSize: 4, statementTimeoutMs: 10_000 });

if (TEST_DATABASE_URL === undefined) {
  test('PostgreSQL store contract', { skip: 'TEST_DATABASE_URL is not set' }, () => undefined);
} else {
  describeStoreContract('PostgreSQL', async () => {
    const schema = await createTestSchema();
    const store = new PostgresStore(settings(schema.url));
    await store.migrate();
    return {
      store,
      // The trigram index is maintained inside each insert: nothing to wait for.
      settle: () => Promise.resolve(),
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  });

  describe('PostgreSQL store: schema management', () => {
    const JAN_2026 = Date.UTC(2026, 0, 15);
    const log = (id: string, createdAt: number) =>
      communicationLog({ id, created_at: createdAt, updated_at: createdAt });
    /** The partition each of the tenant's communication logs is stored in, by id. */
    const partitionsOf = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; partition: string }>(
          'SELECT id, tableoid::regclass::text AS partition FROM communication_logs ORDER BY id',
        );
        return Object.fromEntries(rows.map((row) => [row.id, row.partition]));
      } finally {
        await client.end();
      }
    };

    test('rows land in the partition of their month; rows over two years old in the default one', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      try {
        await store.migrate();
        await store.communicationLogs.insertMany([log('jan', JAN_2026), log('old', Date.UTC(2019, 2, 1))]);
        assert.deepEqual(await partitionsOf(schema.url), {
          jan: 'communication_logs_p202601',
          old: 'communication_logs_default',
        });
        assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 2);
      } finally {
        await store.close();
        await schema.drop();
      }
    });

    test('a partition made for rows waiting in the default partition takes them along', async () => {
      const schema = await createTestSchema();
      // An instance whose clock says 2030 keeps January 2026 in the default partition…
      const late = new PostgresStore(settings(schema.url), () => Date.UTC(2030, 0, 1));
      // …and one in 2026 then makes January's partition.
      const timely = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 1, 1));
      try {
        await late.migrate();
        await late.communicationLogs.insertMany([log('waiting', JAN_2026)]);
        assert.deepEqual(await partitionsOf(schema.url), { waiting: 'communication_logs_default' });
        await timely.migrate(); // February and the three months after it
        const again = await timely.communicationLogs.insertMany([
          log('waiting', JAN_2026),
          log('next', JAN_2026 + 1),
        ]);
        assert.deepEqual(again.duplicates, ['waiting'], 'the moved row still counts as stored');
        assert.deepEqual(await partitionsOf(schema.url), {
          next: 'communication_logs_p202601',
          waiting: 'communication_logs_p202601',
        });
      } finally {
        await Promise.all([late.close(), timely.close()]);
        await schema.drop();
      }
    });

    test('instances starting at once apply each migration exactly once', async () => {
      const schema = await createTestSchema();
      const stores = Array.from({ length: 4 }, () => new PostgresStore(settings(schema.url)));
      try {
        const applied = await Promise.all(stores.map((store) => store.migrate()));
        assert.deepEqual(
          applied.map((versions) => versions.length).sort(),
          [0, 0, 0, 1],
          'one instance applies version 1, the others find it applied',
        );
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await schema.drop();
      }
    });
  });
}
