/**
 * A store written before sealed personal fields existed is sealed in place when it migrates: its
 * rows keep answering as before, while the file holds their personal fields only sealed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { communicationLog, operateLog } from './store-contract.js';

test('rows stored in plaintext before version 6 are sealed when the store migrates, and read the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-seal-existing-'));
  const path = join(dir, 'old.db');
  try {
    const log = communicationLog({ id: 'c1', status: 'failed' });
    const op = operateLog({ id: 'o1', operate_content: 'Turned ON the Kitchen light' });
    const db = new Database(path);
    applyMigrations(db, 5);
    const insert = (table: string, row: Record<string, unknown>) =>
      db
        .prepare(
          `INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row)
            .map((column) => `@${column}`)
            .join(', ')})`,
        )
        .run(row);
    insert('communication_logs', { ...log });
    insert('communication_log_transitions', {
      tenant_id: log.tenant_id,
      log_id: log.id,
      from_status: 'pending',
      to_status: 'failed',
      error: 'mailbox full',
      response: null,
      sent_at: null,
      changed_at: log.updated_at,
    });
    insert('operate_logs', { ...op });
    db.close();

    const store = new SqliteStore(path);
    try {
      await store.migrate();
      assert.deepEqual(await store.communicationLogs.find(log.tenant_id, log.id), log);
      assert.deepEqual(
        (await store.communicationLogs.listTransitions(log.tenant_id, log.id)).map((t) => t.error),
        ['mailbox full'],
      );
      const found = await store.operateLogs.page(
        { tenantId: op.tenant_id, keyWords: 'kitchen' },
        undefined,
        10,
      );
      assert.deepEqual(found, [op]);
    } finally {
      await store.close();
    }

    const raw = new Database(path, { readonly: true });
    try {
      const row = raw.prepare('SELECT recipient, content, sealed FROM communication_logs').get() as Record<
        string,
        string
      >;
      assert.equal(row.recipient, '');
      assert.equal(row.content, '');
      assert.match(row.sealed ?? '', /^s1\./);
      const history = raw.prepare('SELECT error FROM communication_log_transitions').pluck().get() as string;
      assert.match(history, /^s1\./);
      const operate = raw.prepare('SELECT operate_content, search_text FROM operate_logs').get() as Record<
        string,
        string
      >;
      assert.equal(operate.operate_content, '');
      assert.equal(operate.search_text, 'turned on the kitchen light');
      assert.equal(raw.prepare('SELECT count(*) FROM operate_logs WHERE sealed IS NULL').pluck().get(), 0);
    } finally {
      raw.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
