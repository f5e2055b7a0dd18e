/**
 * `sealog verify` (the real CLI, in a child process) over a log of several read windows: each
 * window is read while the one before is hashed, and on SQLite a window's record leaves come as one
 * buffer of hash inputs. A clean log of 2,600 leaves with checkpoints inside its second and at its
 * last window verifies clean; rows edited and removed in later windows are each found at their own
 * leaf, and nothing else. Runs on the store TEST_STORE names.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { runCli } from './helpers/cli-process.js';
import { startTestServer, TEST_SECRET, type TestServer } from './helpers/test-server.js';
import { runStoreSql } from './helpers/store-sql.js';
import { waitFor } from './helpers/wait-for.js';

const SIGNING_PEM = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;
/** Leaves of the log: past two windows of verify's (1,024). */
const LEAVES = 2_600;
/** The size of the first checkpoint: inside the second window. */
const FIRST_CHECKPOINT = 1_500;

const record = (n: number) => ({
  id: `op_${String(n).padStart(5, '0')}`,
  record_time: 1_767_225_600_000 + n,
  uid: `u${n % 50}`,
  username: `user ${n % 50}`,
  operate_type: n % 2 === 0 ? 'login' : 'device_control',
  operate_content: `设备 ${n} "on" \\ off\n`,
  user_id: `usr_${n % 50}`,
});

let api: TestServer;
let checkpoints: string;

before(async () => {
  checkpoints = mkdtempSync(join(tmpdir(), 'sealog-windows-'));
  api = await startTestServer({ CHECKPOINT_DIR: checkpoints, SIGNING_KEY: SIGNING_PEM, DATA_KEY });
  const admin = await api.token({ sub: 'auditor', tenant_id: 'tnt_a', roles: ['admin'] });
  const signAt = (size: number) =>
    waitFor(`a checkpoint of ${size} leaves`, async () => {
      const signed = await fetch(`${api.url}/v1/integrity/operate-log/checkpoint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      return Number((await signed.text()).split('\n')[1]) === size;
    });
  const records = Array.from({ length: LEAVES }, (_, n) => record(n));
  await api.ingest('operate-logs', 'tnt_a', records.slice(0, FIRST_CHECKPOINT));
  await signAt(FIRST_CHECKPOINT);
  await api.ingest('operate-logs', 'tnt_a', records.slice(FIRST_CHECKPOINT));
  await signAt(LEAVES);
  await api.stop();
});

after(async () => {
  await api.close();
  rmSync(checkpoints, { recursive: true, force: true });
});

/** `sealog verify --json` on the store: its exit code, findings and summary. */
async function verify(): Promise<{
  code: number | null;
  findings: { finding: string; recordId?: string; leafIndex?: number; size?: number }[];
  leaves: number | undefined;
}> {
  const outcome = await runCli(['verify', '--json', '--checkpoints', checkpoints], {
    DATABASE_URL: api.databaseUrl,
    DATA_KEY,
    SIGNING_KEY: SIGNING_PEM,
    JWT_SECRET: TEST_SECRET,
  });
  const lines = outcome.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { summary?: { leaves: number }; finding: string });
  return {
    code: outcome.code,
    findings: lines.filter((line) => line.summary === undefined),
    leaves: lines.find((line) => line.summary !== undefined)?.summary?.leaves,
  };
}

/** Runs `statements` on the store's database, as someone with write access to it would. */
function tamper(statements: readonly string[]): Promise<void> {
  return runStoreSql(api.databaseUrl, statements);
}

/** The leaf index of record `id` of tnt_a's operate log. */
async function leafOf(id: string): Promise<number> {
  const sql = `SELECT leaf_index FROM integrity_leaves WHERE tenant_id = 'tnt_a' AND kind = 'operate-log' AND record_id = '${id}'`;
  if (api.databaseUrl.startsWith('sqlite:')) {
    const db = new Database(api.databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql).pluck().get() as number;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: api.databaseUrl });
  await client.connect();
  try {
    return Number((await client.query<{ leaf_index: number }>(sql)).rows[0]?.leaf_index);
  } finally {
    await client.end();
  }
}

test('a log of three windows verifies clean, roots compared inside and at its end', async () => {
  const clean = await verify();
  assert.deepEqual(clean.findings, []);
  assert.equal(clean.code, 0);
  assert.equal(clean.leaves, LEAVES);
});

test('rows edited and removed in later windows: each found at its leaf, nothing else', async () => {
  const [edited, alsoEdited, removed] = ['op_01100', 'op_02500', 'op_02050'];
  const leaves = await Promise.all([edited, alsoEdited, removed].map((id) => leafOf(id)));
  assert.ok(
    leaves.every((leaf) => leaf >= 1_024),
    `leaves ${leaves.join(', ')} past the first window`,
  );
  await tamper([
    `UPDATE operate_logs SET operate_type = 'logout' WHERE tenant_id = 'tnt_a' AND id = '${edited}'`,
    `UPDATE operate_logs SET operate_content = operate_content || ' ' WHERE tenant_id = 'tnt_a' AND id = '${alsoEdited}'`,
    `DELETE FROM operate_logs WHERE tenant_id = 'tnt_a' AND id = '${removed}'`,
  ]);
  const found = await verify();
  assert.equal(found.code, 1);
  assert.deepEqual(
    found.findings
      .map(({ finding, recordId, leafIndex }) => ({ finding, recordId, leafIndex }))
      .sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0)),
    [
      { finding: 'edited', recordId: edited, leafIndex: leaves[0] },
      { finding: 'removed', recordId: removed, leafIndex: leaves[2] },
      { finding: 'edited', recordId: alsoEdited, leafIndex: leaves[1] },
    ].sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0)),
  );
});
