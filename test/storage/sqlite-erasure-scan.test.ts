/**
 * An erasure on SQLite finds the subject's operate logs by reading the tenant's rows before its
 * write (no index by subject: migration 11). The write must still take every row of the subject:
 * those the scan found (over several chunks), less any removed since, plus any stored since.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { scanSubjectOperateLogs } from '../../src/storage/sqlite/tables/subject-erasure-scan.js';
import { subjectErasureWrites } from '../../src/storage/sqlite/tables/subject-erasure-writes.js';
import { operateLog } from './store-contract.js';

const ROWS = 12_000;

test('an erasure takes the operate logs its scan found (across chunks), none removed since, and those stored since', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-erasure-scan-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    const userOf = (i: number) => (i % 3 === 0 ? 'usr_alice' : 'usr_bob');
    for (let from = 0; from < ROWS; from += 1000) {
      await store.operateLogs.insertMany(
        Array.from({ length: 1000 }, (_, j) =>
          operateLog({
            id: `op_${from + j}`,
            record_time: 1_700_000_000_000 + from + j,
            user_id: userOf(from + j),
          }),
        ),
      );
    }
    // The same subject in another tenant: not hers to erase here.
    await store.operateLogs.insertMany([
      operateLog({ tenant_id: 'tnt_b', id: 'op_b1', user_id: 'usr_alice' }),
    ]);

    const db = new Database(path);
    try {
      const scanned = await scanSubjectOperateLogs(db, 'tnt_a', 'usr_alice');
      assert.equal(scanned.seqs.length, ROWS / 3);
      assert.ok(scanned.seqs.every((seq) => seq <= scanned.through));

      // After the scan: one of her rows goes, three are stored.
      const [gone] = scanned.seqs;
      db.prepare('DELETE FROM operate_logs WHERE seq = ?').run(gone);
      await store.operateLogs.insertMany(
        [1, 2, 3].map((k) =>
          operateLog({ id: `op_late${k}`, record_time: 1_800_000_000_000 + k, user_id: 'usr_alice' }),
        ),
      );

      const writes = subjectErasureWrites(db);
      const request = { tenantId: 'tnt_a', subject: 'usr_alice', erasedBy: 'test', at: Date.now() };
      const erased = db.transaction(() => writes.erase(request, scanned)).immediate();
      assert.equal(erased.records['operate-log'], ROWS / 3 - 1 + 3);
      assert.equal(new Set(erased.searchSeqs).size, erased.searchSeqs.length);

      const left = (tenant: string, user: string) =>
        db
          .prepare(
            'SELECT count(*) FROM operate_logs WHERE tenant_id = ? AND user_id = ? AND search_text IS NOT NULL',
          )
          .pluck()
          .get(tenant, user) as number;
      assert.equal(left('tnt_a', 'usr_alice'), 0);
      assert.equal(left('tnt_a', 'usr_bob'), ROWS - ROWS / 3);
      assert.equal(left('tnt_b', 'usr_alice'), 1);
    } finally {
      db.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
