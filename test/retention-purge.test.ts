/**
 * A retention purge on either store (TEST_STORE), through the real CLI against a running server's
 * store: exactly the expired rows go, per tenant and kind (a tenant's own period wins), with their
 * transitions and search entries; list totals stay exact; the report says what went; proofs of the
 * rest still verify against checkpoints signed before and after; `sealog verify` passes and names
 * the pruned leaves, while a row deleted behind sealog's back is still found.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { TuyaContext } from '@tuya/tuya-connector-nodejs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { runCli } from './helpers/cli-process.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from './helpers/independent-merkle.js';
import { checkpointBody } from './helpers/independent-note.js';
import { startTestServer, TEST_SECRET, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { runStoreSql } from './helpers/store-sql.js';
import { waitFor } from './helpers/wait-for.js';
import { commLog, mfaLog, operateLog } from './helpers/retention-records.js';
import { fieldKeySubject, utcDayOf } from '../src/sealing/personal-fields.js';

const CLIENT = 'sealogclienta001';
const SECRET = 'secret-a-0123456789abcdef';
const SIGNING_PEM = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;
const DAY = 86_400_000;
const NOW = Date.now();
const OLD = NOW - 60 * DAY;
const RECENT = NOW - DAY;
/** Within the record's 30 days, past its body's 2. */
const MIDDLE = NOW - 10 * DAY;

type Row = Record<string, unknown>;

/** Runs SQL on the server's store directly, as someone with access to the database would. */
function sql(api: TestServer, text: string, params: unknown[] = []): Promise<void> {
  return runStoreSql(api.databaseUrl, text, params);
}

describe(`retention purge (${TEST_STORE})`, () => {
  let api: TestServer;
  let admin: string;
  let adminB: string;
  let platform: string;
  let tuya: TuyaContext;
  let prePurge: { size: number; root: Buffer; note: string };
  /** SQLite: the wrapped period key of log_mid's body, which must not survive its expiry. */
  let middleKeys: string[] = [];
  const settings = {
    DATA_KEY,
    SIGNING_KEY: SIGNING_PEM,
    RETENTION:
      'communication-logs=30d,communication-logs.content=2d,mfa-config-audit-logs=30d,operate-logs=30d,access-logs=forever',
  };
  /** The CLI's environment: the server's store and settings. */
  const env = () => ({ ...settings, DATABASE_URL: api.databaseUrl, JWT_SECRET: TEST_SECRET });
  const list = async (path: string, token = admin): Promise<{ items: Row[]; total: number }> => {
    const { status, body } = await api.request('GET', path, { token });
    assert.equal(status, 200, JSON.stringify(body));
    return { items: body.items as Row[], total: Number(body.total) };
  };
  const ids = (rows: Row[]) => rows.map((row) => String(row.id)).sort();
  const sign = async (kind: string, token = admin): Promise<string> => {
    const response = await fetch(`${api.url}/v1/integrity/${kind}/checkpoint`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.ok([200, 201].includes(response.status));
    return response.text();
  };
  /** A checkpoint of the communication log of tnt_a covering `size` leaves. */
  const checkpointOf = async (size: number) => {
    let note = '';
    await waitFor(`a checkpoint of ${size} leaves`, async () => {
      note = await sign('communication-log');
      return checkpointBody(note).size === size;
    });
    return { ...checkpointBody(note), note };
  };
  const purge = async (...args: string[]) => {
    const outcome = await runCli(['purge', '--json', ...args], env());
    assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
    return outcome.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) => JSON.parse(line) as { tenantId: string; kind: string; removed: number; dryRun: boolean },
      );
  };
  const removedOf = (reports: Awaited<ReturnType<typeof purge>>, tenantId: string, kind: string) =>
    reports.find((report) => report.tenantId === tenantId && report.kind === kind)?.removed;

  before(async () => {
    api = await startTestServer({
      ...settings,
      TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_a`,
      PURGE_INTERVAL: '0',
    });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    adminB = await api.token({ sub: 'usr_admin_b', tenant_id: 'tnt_b', roles: ['admin'] });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    tuya = new TuyaContext({ baseUrl: api.url, accessKey: CLIENT, secretKey: SECRET });
    for (const tenant of ['tnt_a', 'tnt_b']) {
      // The old ones first, as they would have come: they take the first leaves.
      await api.ingest('communication-logs', tenant, [
        commLog('log_old1', OLD),
        commLog('log_old2', OLD + 1),
      ]);
      await api.ingest('communication-logs', tenant, [
        commLog('log_new1', RECENT),
        commLog('log_mid', MIDDLE),
      ]);
      await api.ingest('mfa-config-audit-logs', tenant, [mfaLog('mfa_old', OLD), mfaLog('mfa_new', RECENT)]);
      await api.ingest('operate-logs', tenant, [operateLog('op_old', OLD), operateLog('op_new', RECENT)]);
    }
    const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_a', roles: ['audit:write'] });
    for (const id of ['log_old1', 'log_new1']) {
      const receipt = await api.request('PATCH', `/v1/ingest/communication-logs/${id}`, {
        token: writer,
        body: { status: 'sent' },
      });
      assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
    }
    // Tenant B keeps its communication logs for 90 days.
    const put = await api.request('PUT', '/v1/retention/tnt_b', {
      token: platform,
      body: { 'communication-logs': '90d' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // Four records and two transitions: six leaves of tnt_a’s communication log.
    prePurge = await checkpointOf(6);
    if (TEST_STORE === 'sqlite') {
      const db = new Database(api.dbPath, { readonly: true });
      try {
        middleKeys = db
          .prepare('SELECT wrapped FROM subject_keys WHERE tenant_id = ? AND subject = ?')
          .pluck()
          .all('tnt_a', fieldKeySubject('content', utcDayOf(MIDDLE))) as string[];
      } finally {
        db.close();
      }
      assert.equal(middleKeys.length, 1);
    }
  });
  after(async () => {
    await api.close();
  });

  test('a dry run counts what would go and removes nothing', async () => {
    const reports = await purge('--dry-run');
    assert.equal(removedOf(reports, 'tnt_a', 'communication-log'), 2);
    assert.equal(removedOf(reports, 'tnt_b', 'communication-log'), 0);
    assert.equal(removedOf(reports, 'tnt_a', 'operate-log'), 1);
    assert.equal(removedOf(reports, 'tnt_a', 'access-log'), undefined, 'access logs are kept forever');
    assert.ok(reports.every((report) => report.dryRun));
    assert.equal((await list('/admin/communication/logs')).total, 4);
  });

  test('a purge removes exactly the expired rows per tenant and kind, and the totals follow', async () => {
    const reports = await purge();
    assert.equal(removedOf(reports, 'tnt_a', 'communication-log'), 2);
    assert.equal(removedOf(reports, 'tnt_a', 'mfa-config-audit-log'), 1);
    assert.equal(removedOf(reports, 'tnt_a', 'operate-log'), 1);
    assert.equal(removedOf(reports, 'tnt_b', 'communication-log'), 0);
    assert.equal(removedOf(reports, 'tnt_b', 'mfa-config-audit-log'), 1);

    const a = await list('/admin/communication/logs');
    assert.deepEqual(ids(a.items), ['log_mid', 'log_new1']);
    assert.equal(a.total, 2);
    assert.equal((await list('/admin/communication/logs?status=sent')).total, 1);
    const b = await list('/admin/communication/logs', adminB);
    assert.deepEqual(ids(b.items), ['log_mid', 'log_new1', 'log_old1', 'log_old2']);
    const mfa = await list('/admin/mfa/config-audit-logs');
    assert.deepEqual(ids(mfa.items), ['mfa_new']);
    assert.equal(mfa.total, 1);
    const transitions = await api.request('GET', '/admin/communication/logs/log_old1/transitions', {
      token: admin,
    });
    assert.equal(transitions.status, 404);

    const res = await tuya.request<{ list: Row[] }>({
      path: '/v1.0/iot-03/audit/operate-logs',
      method: 'GET',
      query: { size: 100 },
    });
    assert.deepEqual(ids(res.result.list), ['op_new']);
    const search = await tuya.request<{ list: Row[] }>({
      path: '/v1.0/iot-03/audit/operate-logs',
      method: 'GET',
      query: { size: 100, key_words: 'door op_old' },
    });
    assert.deepEqual(search.result.list, []);
    if (TEST_STORE === 'sqlite') {
      // The trigram index holds nothing of the removed row (once it had been indexed at all).
      const index = new Database(`${api.dbPath}.search`, { readonly: true });
      try {
        const hits = index
          .prepare('SELECT count(*) FROM operate_logs_fts WHERE operate_logs_fts MATCH ?')
          .pluck()
          .get('"op_old"');
        assert.equal(hits, 0);
      } finally {
        index.close();
      }
    }
  });

  test('PostgreSQL: a month partition the purge emptied is dropped; one still holding rows stays', async (t) => {
    if (TEST_STORE !== 'postgres') {
      t.skip('PostgreSQL partitions');
      return;
    }
    const client = new pg.Client({ connectionString: api.databaseUrl });
    await client.connect();
    try {
      const month = new Date(OLD).toISOString().slice(0, 7).replace('-', '');
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c
          WHERE c.relname = ANY($1::text[]) AND c.relnamespace = current_schema()::regnamespace`,
        [[`mfa_config_audit_logs_p${month}`, `communication_logs_p${month}`]],
      );
      // Both tenants' MFA logs of that month are past 30 days; tenant B keeps its communication logs 90.
      assert.deepEqual(
        rows.map((row) => row.name),
        [`communication_logs_p${month}`],
      );
    } finally {
      await client.end();
    }
  });

  test('a message body past its own retention reads [expired]; the rest of its record stays', async () => {
    // The purge ran in another process (the CLI): the server drops its cached keys within a poll.
    let byId = new Map<unknown, Row>();
    await waitFor('the server to read log_mid’s body as expired', async () => {
      byId = new Map((await list('/admin/communication/logs')).items.map((row) => [row.id, row]));
      return byId.get('log_mid')?.content === '[expired]';
    });
    const middle = byId.get('log_mid');
    assert.ok(middle);
    assert.equal(middle.content, '[expired]');
    assert.equal(middle.recipient, '138****8000', 'the delivery metadata stays');
    assert.equal(middle.channel, 'sms');
    assert.equal(byId.get('log_new1')?.content, 'code of log_new1');
    const { body } = await api.request('GET', '/v1/retention/reports', { token: admin });
    const content = (body.reports as Row[]).find(
      (report) => report.kind === 'communication-log.content' && report.dry_run === false,
    );
    assert.ok(content, JSON.stringify(body.reports));
    assert.ok(Number(content.removed) >= 2, 'the days of log_mid and of the purged logs');
    // Gone as an erased subject's key is: not in the file's free pages, not in its WAL.
    for (const file of [api.dbPath, `${api.dbPath}-wal`].filter((path) => existsSync(path))) {
      const bytes = readFileSync(file);
      for (const wrapped of middleKeys) {
        assert.equal(bytes.includes(Buffer.from(wrapped)), false, `${file} holds the period key text`);
        assert.equal(bytes.includes(Buffer.from(wrapped, 'base64')), false, `${file} holds the key bytes`);
      }
    }
  });

  test('the reports are kept: each tenant’s admins read theirs', async () => {
    const { status, body } = await api.request('GET', '/v1/retention/reports?limit=50', { token: admin });
    assert.equal(status, 200, JSON.stringify(body));
    const reports = body.reports as Row[];
    assert.ok(reports.length > 0);
    assert.ok(reports.every((report) => report.tenant_id === 'tnt_a'));
    const real = reports.find((report) => report.kind === 'communication-log' && report.dry_run === false);
    assert.ok(real);
    assert.equal(real.removed, 2);
    assert.equal(Date.parse(String(real.oldest_kept)), MIDDLE);
    const all = await api.request('GET', '/v1/retention/reports', { token: platform });
    assert.ok((all.body.reports as Row[]).some((report) => report.tenant_id === 'tnt_b'));
    const other = await api.request('GET', '/v1/retention/reports?tenant_id=tnt_a', { token: adminB });
    assert.equal(other.status, 403);
  });

  test('proofs of the rest verify against checkpoints signed before and after the purge', async () => {
    await api.ingest('communication-logs', 'tnt_a', [commLog('log_later', NOW)]);
    const later = await checkpointOf(7);
    // Leaves 0 and 1 (log_old1, log_old2) and 4 (log_old1's transition) were pruned: the prefix
    // before leaf 2 is what the checkpoint states, as a C2SP extension line.
    assert.match(later.note, /^minimum-index 2$/m);
    assert.doesNotMatch(prePurge.note, /minimum-index/);
    const { body: consistency } = await api.request(
      'GET',
      `/v1/integrity/communication-log/consistency?from=${prePurge.size}&to=${later.size}`,
      { token: admin },
    );
    const proof = (consistency.proof as string[]).map((hash) => Buffer.from(hash, 'base64'));
    assert.ok(verifyConsistency(prePurge.size, later.size, prePurge.root, later.root, proof));
    const { status, body } = await api.request(
      'GET',
      '/v1/integrity/communication-log/inclusion?id=log_new1',
      {
        token: admin,
      },
    );
    assert.equal(status, 200, JSON.stringify(body));
    const head = checkpointBody(String(body.checkpoint));
    const leaf = Buffer.from(String(body.leaf), 'base64');
    const path = (body.proof as string[]).map((hash) => Buffer.from(hash, 'base64'));
    assert.ok(verifyInclusion(Number(body.leaf_index), head.size, hashLeaf(leaf), path, head.root));
    // The leaves themselves: a pruned one is named, and a page stops before the next pruned one.
    const pruned = await api.request('GET', '/v1/integrity/communication-log/leaves?start=0', {
      token: admin,
    });
    assert.equal(pruned.status, 404);
    assert.match(String(pruned.body.message), /pruned by retention.*read on from leaf 2/);
    const page = await api.request('GET', '/v1/integrity/communication-log/leaves?start=2', { token: admin });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.equal((page.body.leaves as string[]).length, 2, 'leaves 2 and 3; leaf 4 was pruned');
    const gone = await api.request('GET', '/v1/integrity/communication-log/inclusion?id=log_old1', {
      token: admin,
    });
    assert.equal(gone.status, 404);
  });

  test('sealog verify passes and names the pruned leaves; a row deleted otherwise is still found', async () => {
    const clean = await runCli(['verify'], env());
    assert.equal(clean.code, 0, `${clean.stdout}${clean.stderr}`);
    assert.match(clean.stdout, /leaves pruned by retention/);
    await sql(api, "DELETE FROM mfa_config_audit_logs WHERE tenant_id = $1 AND id = 'mfa_new'", ['tnt_a']);
    const tampered = await runCli(['verify', '--json'], env());
    assert.equal(tampered.code, 1, `${tampered.stdout}${tampered.stderr}`);
    const findings = tampered.stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.includes('"summary"'))
      .map((line) => JSON.parse(line) as Row);
    assert.ok(
      findings.some(
        (finding) =>
          finding.kind === 'mfa-config-audit-log' && /removed|truncated/.test(String(finding.finding)),
      ),
      JSON.stringify(findings),
    );
  });

  test('one purge at a time: a lease held by another process refuses the run', async () => {
    await sql(api, 'INSERT INTO purge_lease (id, holder, expires_at) VALUES (1, $1, $2)', [
      'another host',
      Date.now() + 3_600_000,
    ]);
    const refused = await runCli(['purge'], env());
    assert.equal(refused.code, 1, `${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /another sealog process is purging/);
    await sql(api, 'UPDATE purge_lease SET expires_at = $1', [Date.now() - 1]);
    assert.ok((await purge()).length > 0, 'an expired lease is taken over');
  });
});
