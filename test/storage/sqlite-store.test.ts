import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-store-'));
  const store = new SqliteStore(join(dir, 'store.db'));
  await store.migrate();
  return {
    store,
    settle() {
      while (store.searchIndexer.indexNextBatch() > 0);
      return Promise.resolve();
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
