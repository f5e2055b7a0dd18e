/**
 * The retention purge on PostgreSQL removes a month partition whole once every tenant's retention
 * has passed it (no row-by-row delete whose dead entries reads would walk): the partition is gone,
 * with its rows' id claims, transitions and leaves; the tallies stay exact; its leaves are pruned
 * ranges, so `sealog verify` passes. A month that one tenant still keeps is purged row by row for
 * the others. A run stopped between its steps leaves a detached table that the next run finishes.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runCli } from '../helpers/cli-process.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { commLog, mfaLog, operateLog } from '../helpers/retention-records.js';
import { OPERATE_LOG_TABLE } from '../../src/kinds/operate-log/operate-log-table.js';

const DAY = 86_400_000;
/** The start of the UTC month `monthsBack` before the current one. */
const monthAgo = (monthsBack: number) => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, 1);
};
/** Mid-month, ten and nine months back: past every 30-day retention, kept by a 400-day one. */
const OLD = monthAgo(10) + 10 * DAY;
const OLDER = monthAgo(9) + 10 * DAY;
const RECENT = Date.now() - DAY;
const suffix = (ms: number) => `p${new Date(ms).toISOString().slice(0, 7).replace('-', '')}`;

interface Report {
  tenantId: string;
  kind: string;
  removed: number;
}

describe('PostgreSQL retention purge by whole partitions', { skip: !TEST_DATABASE_URL }, () => {
  let schema: TestSchema;
  let api: TestServer;
  let db: pg.Client;
  const settings = {
    DATA_KEY: `k1:${randomBytes(32).toString('base64')}`,
    SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    RETENTION: 'communication-logs=30d,mfa-config-audit-logs=30d,operate-logs=30d,access-logs=forever',
  };
  const env = () => ({ ...settings, DATABASE_URL: schema.url, JWT_SECRET: TEST_SECRET });
  const purge = async (): Promise<Report[]> => {
    const outcome = await runCli(['purge', '--json'], env());
    assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
    return outcome.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Report);
  };
  const removedOf = (reports: Report[], tenantId: string, kind: string) =>
    reports.find((report) => report.tenantId === tenantId && report.kind === kind)?.removed;
  const tables = async (): Promise<string[]> =>
    (
      await db.query<{ name: string }>(
        `SELECT relname AS name FROM pg_class
          WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
      )
    ).rows.map((row) => row.name);
  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0]?.n);

  before(async () => {
    schema = await createTestSchema();
    api = await startTestServer({ ...settings, DATABASE_URL: schema.url });
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    const platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    // Tenant B keeps its communication logs for 400 days: their months must stay.
    const put = await api.request('PUT', '/v1/retention/tnt_b', {
      token: platform,
      body: { 'communication-logs': '400d' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    for (const tenant of ['tnt_a', 'tnt_b']) {
      await api.ingest('communication-logs', tenant, [commLog('log_old', OLD), commLog('log_older', OLDER)]);
      await api.ingest('communication-logs', tenant, [commLog('log_new', RECENT)]);
      await api.ingest('mfa-config-audit-logs', tenant, [mfaLog('mfa_old', OLD), mfaLog('mfa_new', RECENT)]);
      const operate = Array.from({ length: 5 }, (_, n) => operateLog(`op_old${n}`, OLD + n));
      await api.ingest('operate-logs', tenant, [
        ...operate,
        operateLog('op_older', OLDER),
        operateLog('op_new', RECENT),
      ]);
      const writer = await api.token({ sub: 'svc', tenant_id: tenant, roles: ['audit:write'] });
      const receipt = await api.request('PATCH', '/v1/ingest/communication-logs/log_old', {
        token: writer,
        body: { status: 'sent' },
      });
      assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
    }
    // Every record and transition has its leaf before the purge looks. The access log's leaves
    // (the audited PUT above) are left out of the count: they may be numbered in the same pass.
    await waitFor('every row numbered', async () => {
      const numbered = await count("SELECT count(*) AS n FROM integrity_leaves WHERE kind <> 'access-log'");
      return numbered === 2 * (3 + 1 + 2 + 7);
    });
  });
  after(async () => {
    await db.end();
    await api.close();
    await schema.drop();
  });

  test('months every tenant’s retention has passed go whole; a month one tenant keeps is purged by rows', async () => {
    const reports = await purge();
    for (const tenant of ['tnt_a', 'tnt_b']) {
      assert.equal(removedOf(reports, tenant, 'operate-log'), 6, tenant);
      assert.equal(removedOf(reports, tenant, 'mfa-config-audit-log'), 1, tenant);
    }
    assert.equal(removedOf(reports, 'tnt_a', 'communication-log'), 2);
    assert.equal(removedOf(reports, 'tnt_b', 'communication-log'), 0);

    const names = await tables();
    for (const month of [OLD, OLDER]) {
      assert.ok(!names.includes(`operate_logs_${suffix(month)}`), `operate_logs_${suffix(month)} dropped`);
      assert.ok(!names.includes(`mfa_config_audit_logs_${suffix(month)}`));
      assert.ok(names.includes(`communication_logs_${suffix(month)}`), 'tenant B still keeps that month');
    }
    assert.deepEqual(
      names.filter((name) => name.startsWith('sealog_purging_')),
      [],
      'no detached table is left',
    );
    // Derived rows went with them: claims, leaves (now pruned ranges), transitions of tenant A.
    assert.equal(await count(`SELECT count(*) AS n FROM operate_log_keys WHERE id <> 'op_new'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM mfa_config_audit_log_keys WHERE id <> 'mfa_new'`), 0);
    assert.equal(
      await count(`SELECT count(*) AS n FROM integrity_leaves WHERE kind = 'operate-log'`),
      2,
      'one leaf per tenant: op_new',
    );
    assert.equal(
      await count(
        `SELECT sum(end_leaf - first_leaf) AS n FROM integrity_pruned WHERE kind IN ('operate-log', 'mfa-config-audit-log')`,
      ),
      2 * (6 + 1),
    );
    assert.equal(
      await count(`SELECT count(*) AS n FROM communication_log_transitions WHERE tenant_id = 'tnt_a'`),
      0,
    );
    // The tallies say what is stored.
    assert.equal(
      await count(`SELECT coalesce(sum(n), 0) AS n FROM mfa_config_audit_log_tallies`),
      await count('SELECT count(*) AS n FROM mfa_config_audit_logs'),
    );
    assert.equal(
      await count(`SELECT coalesce(sum(n), 0) AS n FROM communication_log_tallies WHERE status = 'sent'`),
      1,
      "tenant B's sent log_old",
    );
    const admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    const mfa = await api.request('GET', '/admin/mfa/config-audit-logs', { token: admin });
    assert.equal(mfa.status, 200);
    assert.equal(mfa.body.total, 1);
    assert.deepEqual(
      (mfa.body.items as { id: string }[]).map((item) => item.id),
      ['mfa_new'],
    );

    const verified = await runCli(['verify'], env());
    assert.equal(verified.code, 0, `${verified.stdout}${verified.stderr}`);
    assert.match(verified.stdout, /leaves pruned by retention/);
  });

  test('a run stopped after a partition was detached is finished by the next one', async () => {
    // New expired rows in a month of their own, taken out of the log table and stopped before
    // their derived rows went, as a run killed between its steps leaves them.
    const OLDEST = monthAgo(11) + 10 * DAY;
    await api.ingest('operate-logs', 'tnt_a', [
      operateLog('op_oldest1', OLDEST),
      operateLog('op_oldest2', OLDEST + 1),
    ]);
    await waitFor(
      'the new rows numbered',
      async () =>
        (await count(`SELECT count(*) AS n FROM integrity_leaves WHERE record_id LIKE 'op_oldest%'`)) === 2,
    );
    const store = await api.reopenStore();
    try {
      let batches = 0;
      const removed = await store.purge.purgeExpiredPartitions(
        OPERATE_LOG_TABLE,
        ['tnt_a', 'tnt_b'],
        Date.now() - 30 * DAY,
        Date.now(),
        { batchRows: 1, between: () => Promise.resolve(batches++ < 2), onRemoved: () => undefined },
      );
      assert.deepEqual([...removed], [['tnt_a', 1]], 'stopped after one batch of one row');
    } finally {
      await store.close();
    }
    assert.ok((await tables()).includes(`sealog_purging_operate_logs_${suffix(OLDEST)}`));
    assert.equal(
      await count(`SELECT count(*) AS n FROM operate_logs WHERE id LIKE 'op_oldest%'`),
      0,
      'the log table (what every API reads) no longer holds either row',
    );

    const reports = await purge();
    assert.equal(removedOf(reports, 'tnt_a', 'operate-log'), 1, 'the row the stopped run left');
    assert.ok(!(await tables()).some((name) => name.startsWith('sealog_purging_')));
    assert.equal(
      await count(`SELECT count(*) AS n FROM integrity_leaves WHERE record_id LIKE 'op_oldest%'`),
      0,
    );
    const verified = await runCli(['verify'], env());
    assert.equal(verified.code, 0, `${verified.stdout}${verified.stderr}`);
  });
});
