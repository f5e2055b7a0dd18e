/**
 * Erasure of a data subject, over real HTTP on either store (TEST_STORE): every API reads
 * [erased] for the subject's personal fields, key_words no longer finds its text, every proof and
 * `sealog verify` (the real CLI) still pass, the key's bytes are gone from the SQLite file and WAL,
 * the erasure is in the access log, a repeat changes nothing, and `sealog erase` does the same.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { TuyaContext } from '@tuya/tuya-connector-nodejs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { runCli } from './helpers/cli-process.js';
import { hashLeaf, verifyInclusion } from './helpers/independent-merkle.js';
import { checkpointBody, verifiesIndependently } from './helpers/independent-note.js';
import { startTestServer, TEST_SECRET, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const TENANT = 'tnt_a';
const CLIENT = 'sealogclienta001';
const SECRET = 'secret-a-0123456789abcdef';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';
const SIGNING_PEM = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;
const T0 = Date.parse('2026-05-15T10:00:00Z');
const ERASED = '[erased]';

type Row = Record<string, unknown>;

const commLog = (id: string, user: string, recipient: string, content: string) => ({
  id,
  user_id: user,
  channel: 'email',
  recipient,
  content,
  created_at: new Date(T0).toISOString(),
});
const mfaLog = (id: string, operator: string, message: string) => ({
  id,
  action: 'mfa_totp.enabled',
  target_type: 'mfa_totp',
  target_id: 'mfa_abc123',
  operator_id: operator,
  module: 'data',
  message,
  timestamp: new Date(T0).toISOString(),
});
const operateLog = (id: string, user: string, username: string, content: string) => ({
  ...{ id, record_time: T0, operate_type: 'login', operate_content: content, merchant_code: 'm1' },
  ...{ uid: 'u1', username, user_id: user, role: 'admin', account: `${username}@example.com` },
  ...{ operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1', client_id: 'app1', ext: '{}' },
  project_code: 'p1',
});

/** The wrapped keys of `subject` as the store holds them (what must not survive an erasure). */
async function storedKeys(api: TestServer, subject: string): Promise<string[]> {
  if (TEST_STORE === 'sqlite') {
    const db = new Database(api.dbPath, { readonly: true });
    try {
      return db
        .prepare('SELECT wrapped FROM subject_keys WHERE tenant_id = ? AND subject = ?')
        .pluck()
        .all(TENANT, subject) as string[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: api.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ wrapped: string }>(
      'SELECT wrapped FROM subject_keys WHERE tenant_id = $1 AND subject = $2',
      [TENANT, subject],
    );
    return rows.map((row) => row.wrapped);
  } finally {
    await client.end();
  }
}

describe(`erasing a data subject (${TEST_STORE})`, () => {
  let api: TestServer;
  let admin: string;
  let platform: string;
  let alice: string;
  let tuya: TuyaContext;
  let aliceKeys: string[] = [];

  const list = async (path: string, token = admin): Promise<Row[]> => {
    const { status, body } = await api.request('GET', path, { token });
    assert.equal(status, 200, JSON.stringify(body));
    return body.items as Row[];
  };
  const byId = (rows: Row[]) => new Map(rows.map((row) => [String(row.id), row]));
  const operateLogs = async (query: Record<string, string | number> = {}): Promise<Row[]> => {
    const res = await tuya.request<{ list: Row[] }>({
      path: OPERATE_LOGS,
      method: 'GET',
      query: { size: 100, ...query },
    });
    assert.equal(res.success, true, JSON.stringify(res));
    return res.result.list;
  };
  const erase = (subject: string, token = admin, query = '') =>
    api.request('DELETE', `/v1/subjects/${subject}${query}`, { token });

  before(async () => {
    api = await startTestServer({
      TUYA_CLIENTS: `${CLIENT}:${SECRET}:${TENANT}`,
      SIGNING_KEY: SIGNING_PEM,
      DATA_KEY,
    });
    admin = await api.token({ sub: 'usr_admin', tenant_id: TENANT, roles: ['admin'] });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    alice = await api.token({ sub: 'usr_alice', tenant_id: TENANT });
    tuya = new TuyaContext({ baseUrl: api.url, accessKey: CLIENT, secretKey: SECRET });
    await api.ingest('communication-logs', TENANT, [
      commLog('log_a1', 'usr_alice', 'alice@example.com', 'Your code is 481516'),
      commLog('log_a2', 'usr_alice', '13800138000', 'Your code is 234200'),
      commLog('log_b1', 'usr_bob', 'bob@example.com', 'Your code is 777777'),
    ]);
    const receipt = await api.request('PATCH', '/v1/ingest/communication-logs/log_a1', {
      token: await api.token({ sub: 'svc', tenant_id: TENANT, roles: ['audit:write'] }),
      body: { status: 'failed', error: 'mailbox of alice@example.com is full' },
    });
    assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
    await api.ingest('mfa-config-audit-logs', TENANT, [
      mfaLog('mfa_a', 'usr_alice', 'alice turned on TOTP'),
      mfaLog('mfa_b', 'usr_bob', 'bob turned on TOTP'),
    ]);
    await api.ingest('operate-logs', TENANT, [
      operateLog('op_a', 'usr_alice', 'alice', 'alice opened the front door'),
      operateLog('op_b', 'usr_bob', 'bob', 'bob opened the garden gate'),
    ]);
    // Alice reads her own logs: access-log records whose actor (and subject) is she.
    await list('/communication/logs', alice);
    await waitFor(
      'alice’s read in the access log',
      async () => (await list('/admin/access-logs?actor=usr_alice')).length > 0,
    );
    aliceKeys = await storedKeys(api, 'usr_alice');
  });
  after(async () => {
    await api.close();
  });

  test('before: everything reads in clear and key_words finds alice’s text', async () => {
    assert.ok(aliceKeys.length > 0, 'alice has a key');
    const logs = byId(await list('/admin/communication/logs'));
    assert.equal(logs.get('log_a1')?.content, 'Your code is 481516');
    assert.deepEqual(
      (await operateLogs({ key_words: 'front door' })).map((row) => row.id),
      ['op_a'],
    );
  });

  test('a non-admin, another tenant’s admin and a platform admin without a tenant are refused', async () => {
    assert.equal((await erase('usr_alice', alice)).status, 403);
    const other = await api.token({ sub: 'usr_x', tenant_id: 'tnt_b', roles: ['admin'] });
    assert.equal((await erase('usr_alice', other, `?tenant_id=${TENANT}`)).status, 403);
    const unnamed = await erase('usr_alice', platform);
    assert.equal(unnamed.status, 400);
    assert.match(String(unnamed.body.message), /tenant_id/);
    assert.equal(unnamed.body.code, 400);
    assert.equal((await erase('bad%20id')).status, 400);
    assert.deepEqual(await storedKeys(api, 'usr_alice'), aliceKeys, 'nothing was erased');
    // Alice's refused attempt is an access record of hers: let it land before she is erased, so
    // that it is sealed under the key the erasure destroys (records written later get a new one).
    await waitFor(
      'alice’s refused erasure in the access log',
      async () =>
        (await list('/admin/access-logs?actor=usr_alice&route=/v1/subjects/:subject_id')).length > 0,
    );
    aliceKeys = await storedKeys(api, 'usr_alice');
  });

  test('the erasure reports the subject’s records; every API then reads [erased] for them only', async () => {
    const { status, body } = await erase('usr_alice');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.keys_destroyed, aliceKeys.length);
    const records = body.records as Record<string, number>;
    assert.equal(records.communication_logs, 2);
    assert.equal(records.mfa_config_audit_logs, 1);
    assert.equal(records.operate_logs, 1);
    assert.ok((records.access_logs ?? 0) >= 1, JSON.stringify(records));
    assert.equal(body.scrubbed, true);
    assert.equal(typeof body.erased_at, 'string');

    const logs = byId(await list('/admin/communication/logs'));
    for (const id of ['log_a1', 'log_a2']) {
      assert.equal(logs.get(id)?.recipient, ERASED, id);
      assert.equal(logs.get(id)?.content, ERASED, id);
      assert.equal(logs.get(id)?.user_id, 'usr_alice', 'the subject id is no personal field');
    }
    assert.equal(logs.get('log_a1')?.error, ERASED);
    assert.equal(logs.get('log_a1')?.status, 'failed', 'delivery metadata stays');
    assert.equal(logs.get('log_b1')?.content, 'Your code is 777777');
    assert.equal(logs.get('log_b1')?.recipient, 'b***@example.com');
    const history = await list('/admin/communication/logs/log_a1/transitions');
    assert.equal(history.at(-1)?.error, ERASED);
    const own = await list('/communication/logs', alice);
    assert.deepEqual(
      own.map((row) => row.content),
      [ERASED, ERASED],
    );

    const mfa = byId(await list('/admin/mfa/config-audit-logs'));
    assert.equal(mfa.get('mfa_a')?.message, ERASED);
    assert.equal(mfa.get('mfa_b')?.message, 'bob turned on TOTP');

    const operate = byId(await operateLogs());
    for (const field of ['username', 'account', 'operate_content', 'operate_geo_info', 'operate_ip_info']) {
      assert.equal(operate.get('op_a')?.[field], ERASED, field);
    }
    assert.equal(operate.get('op_b')?.operate_content, 'bob opened the garden gate');

    // Her reads before the erasure; the one just above is a record of after it, under a new key.
    const erasedAt = Date.parse(String(body.erased_at));
    const reads = (await list('/admin/access-logs?actor=usr_alice')).filter(
      (read) => Date.parse(String(read.accessed_at)) <= erasedAt,
    );
    assert.ok(reads.length > 1, 'her read and her refused erasure');
    for (const read of reads) {
      assert.equal(read.query, ERASED);
      assert.equal(read.ip, ERASED);
    }
  });

  test('key_words no longer finds the erased text, and still finds the rest', async () => {
    assert.deepEqual(await operateLogs({ key_words: 'front door' }), []);
    assert.deepEqual(await operateLogs({ key_words: 'alice' }), []);
    assert.deepEqual(
      (await operateLogs({ key_words: 'garden gate' })).map((row) => row.id),
      ['op_b'],
    );
  });

  test('the erasure is in the tenant’s access log: who erased whom', async () => {
    // Records are written in batches after the answers: wait for the erasure's own.
    const erasures = async () =>
      (await list('/admin/access-logs?route=/v1/subjects/:subject_id')).filter(
        (record) => record.status === 200,
      );
    await waitFor('the erasure in the access log', async () => (await erasures()).length > 0);
    const [record] = await erasures();
    assert.ok(record);
    assert.equal(record.actor, 'usr_admin');
    assert.equal(record.method, 'DELETE');
    assert.deepEqual(record.query, { subject_id: 'usr_alice' });
    const refused = await list('/admin/access-logs?route=/v1/subjects/:subject_id&actor=usr_alice');
    assert.equal(refused[0]?.status, 403, 'a refused attempt is recorded too');
  });

  test('a repeat destroys nothing and answers the same records', async () => {
    // Alice's own read after the erasure is an access record of hers, under a new key: let it land
    // and be erased, so that the repeat below has nothing new to find.
    await waitFor(
      'alice’s second read in the access log',
      async () => (await list('/admin/access-logs?actor=usr_alice&route=/communication/logs')).length > 1,
    );
    assert.equal((await erase('usr_alice', platform, `?tenant_id=${TENANT}`)).status, 200);
    const first = await erase('usr_alice', platform, `?tenant_id=${TENANT}`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.keys_destroyed, 0);
    assert.equal((first.body.records as Record<string, number>).communication_logs, 2);
    assert.equal(typeof first.body.erased_at, 'string');
    const never = await erase('usr_nobody');
    assert.equal(never.body.keys_destroyed, 0);
    assert.equal(never.body.erased_at, null);
  });

  test('every proof still verifies, and sealog verify passes', async () => {
    const sign = () =>
      fetch(`${api.url}/v1/integrity/communication-log/checkpoint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
    assert.ok([200, 201].includes((await sign()).status));
    let note = '';
    let inclusion: Row = {};
    await waitFor('log_a1 in a checkpoint', async () => {
      const { status, body } = await api.request(
        'GET',
        '/v1/integrity/communication-log/inclusion?id=log_a1',
        {
          token: admin,
        },
      );
      if (status === 409) {
        await sign();
        return false;
      }
      assert.equal(status, 200, JSON.stringify(body));
      inclusion = body;
      note = String(body.checkpoint);
      return true;
    });
    const { body: key } = await api.request('GET', '/v1/integrity/communication-log/key', { token: admin });
    assert.ok(await verifiesIndependently(note, String(key.verifier_key)));
    const head = checkpointBody(note);
    const leaf = Buffer.from(String(inclusion.leaf), 'base64');
    const proof = (inclusion.proof as string[]).map((hash) => Buffer.from(hash, 'base64'));
    assert.ok(verifyInclusion(Number(inclusion.leaf_index), head.size, hashLeaf(leaf), proof, head.root));

    const outcome = await runCli(['verify'], {
      DATABASE_URL: api.databaseUrl,
      DATA_KEY,
      SIGNING_KEY: SIGNING_PEM,
      JWT_SECRET: TEST_SECRET,
    });
    assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
  });

  test('the key is gone from the store: no row, and (SQLite) not a byte of it in the file or the WAL', async () => {
    // Not one of her keys from before the erasure (her reads since are sealed under new ones).
    const left = await storedKeys(api, 'usr_alice');
    assert.deepEqual(
      aliceKeys.filter((key) => left.includes(key)),
      [],
    );
    if (TEST_STORE !== 'sqlite') return;
    for (const file of [api.dbPath, `${api.dbPath}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      for (const wrapped of aliceKeys) {
        assert.equal(bytes.includes(Buffer.from(wrapped)), false, `${file} holds the wrapped key text`);
        assert.equal(bytes.includes(Buffer.from(wrapped, 'base64')), false, `${file} holds the key bytes`);
      }
    }
  });

  test('new records of an erased subject are sealed under a new key and read in clear', async () => {
    await api.ingest('mfa-config-audit-logs', TENANT, [mfaLog('mfa_a2', 'usr_alice', 'alice came back')]);
    const mfa = byId(await list('/admin/mfa/config-audit-logs'));
    assert.equal(mfa.get('mfa_a2')?.message, 'alice came back');
    assert.equal(mfa.get('mfa_a')?.message, ERASED);
  });

  test('sealog erase does the same from the command line, and a running server follows it', async () => {
    // Warm the server's caches with bob's records first: they must be dropped, not served.
    assert.equal(
      byId(await list('/admin/mfa/config-audit-logs')).get('mfa_b')?.message,
      'bob turned on TOTP',
    );
    const outcome = await runCli(['erase', '--tenant', TENANT, '--subject', 'usr_bob', '--json'], {
      DATABASE_URL: api.databaseUrl,
      DATA_KEY,
      SIGNING_KEY: SIGNING_PEM,
      JWT_SECRET: TEST_SECRET,
    });
    assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
    const report = JSON.parse(outcome.stdout) as { keys_destroyed: number; records: Record<string, number> };
    assert.ok(report.keys_destroyed > 0);
    assert.equal(report.records.communication_logs, 1);
    await waitFor('the server to read bob as erased', async () => {
      const mfa = byId(await list('/admin/mfa/config-audit-logs'));
      return mfa.get('mfa_b')?.message === ERASED;
    });
    const [record] = await list(`/admin/access-logs?actor=cli:${encodeURIComponent(userInfo().username)}`);
    assert.ok(record);
    assert.equal(record.api, 'cli');
    assert.deepEqual(record.query, { subject_id: 'usr_bob' });
  });
});
