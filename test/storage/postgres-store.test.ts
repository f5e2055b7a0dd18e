import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { describeStoreContract } from './store-contract.js';

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
