/**
 * The access log's recorder against real PostgreSQL, which refuses NUL in text: a record the store
 * refuses is found by halving its batch and dropped alone, so the records around it are stored;
 * close() writes everything handed over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCESS_LOG_TABLE, type AccessLog } from '../../src/kinds/access-log/access-log-table.js';
import { AccessRecorder } from '../../src/kinds/access-log/access-recorder.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';

const record = (id: string, actor = 'usr_a'): AccessLog => ({
  tenant_id: 'tnt_a',
  id,
  accessed_at: Date.UTC(2026, 10, 1) + Number(id.replace(/\D/g, '')),
  actor,
  api: 'authms',
  method: 'GET',
  route: '/admin/communication/logs',
  query: '{}',
  row_count: 0,
  status: 200,
  error: '',
  ip: '127.0.0.1',
  duration_ms: 1,
});

test(
  'a record the store refuses is dropped alone; the others are stored',
  { skip: !TEST_DATABASE_URL },
  async () => {
    const schema = await createTestSchema();
    const store = new PostgresStore({
      url: schema.url,
      poolSize: 2,
      statementTimeoutMs: 10_000,
      unavailableTimeoutMs: 5_000,
    });
    try {
      await store.migrate();
      const troubles: string[] = [];
      const recorder = new AccessRecorder(store.rows(ACCESS_LOG_TABLE), {
        batchSize: 8,
        onTrouble: (message) => troubles.push(message),
      });
      const ids = Array.from({ length: 20 }, (_, i) => `acc_${String(i).padStart(2, '0')}`);
      for (const id of ids) recorder.record(record(id, id === 'acc_05' ? 'usr_\u0000' : 'usr_a'));
      await recorder.close();
      const stored = await store.rows(ACCESS_LOG_TABLE).page([], undefined, 100);
      assert.deepEqual(
        stored.map((row) => row.id).sort(),
        ids.filter((id) => id !== 'acc_05'),
      );
      assert.ok(
        troubles.some((message) => message.includes('refused a record')),
        troubles.join('\n'),
      );
    } finally {
      await store.close();
      await schema.drop();
    }
  },
);
