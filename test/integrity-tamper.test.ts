/**
 * Tampering with the store directly — as someone with write access to the SQLite file or the
 * database would — and `sealog verify` (the real CLI, in a child process) finding and naming each
 * change; an untouched store verifies clean. Runs on the store TEST_STORE names. Each case starts
 * from its own freshly written store whose checkpoints were also published to CHECKPOINT_DIR.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { checkpointText } from '../src/integrity/checkpoints/checkpoint-body.js';
import { checkpointPath } from '../src/integrity/checkpoints/checkpoint-directory.js';
import { noteSigner, signNote, verifierKeyText } from '../src/integrity/checkpoints/signed-note.js';
import { runCli } from './helpers/cli-process.js';
import { startTestServer, TEST_SECRET, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const SIGNING_KEY = generateKeyPairSync('ed25519').privateKey;
const SIGNING_PEM = SIGNING_KEY.export({ format: 'pem', type: 'pkcs8' }).toString();
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;
const postgres = TEST_STORE === 'postgres';

/** Raw SQL on the store, as a tamperer would run it. */
interface RawSql {
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function rawSql(url: string): Promise<RawSql> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    return {
      run: (sql) => {
        db.exec(sql);
        return Promise.resolve();
      },
      rows: (sql) => Promise.resolve(db.prepare(sql).all() as Record<string, unknown>[]),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    run: async (sql) => {
      await client.query(sql);
    },
    rows: async (sql) => (await client.query<Record<string, unknown>>(sql)).rows,
    close: () => client.end(),
  };
}

const op = (n: number) => ({
  id: `op_${String(n).padStart(2, '0')}`,
  record_time: 1_767_225_600_000 + n,
  uid: `u${n}`,
  username: `user ${n}`,
  operate_type: 'login',
  operate_content: `did ${n}`,
  user_id: `usr_${n % 3}`,
});

/** A store with three kinds of logs, signed and published; stopped, ready to tamper with. */
async function preparedStore(): Promise<{ api: TestServer; checkpoints: string }> {
  const checkpoints = mkdtempSync(join(tmpdir(), 'sealog-published-'));
  const api = await startTestServer({ CHECKPOINT_DIR: checkpoints, SIGNING_KEY: SIGNING_PEM, DATA_KEY });
  await api.ingest(
    'operate-logs',
    'tnt_a',
    Array.from({ length: 10 }, (_, n) => op(n + 1)),
  );
  await api.ingest(
    'mfa-config-audit-logs',
    'tnt_a',
    [1, 2, 3].map((n) => ({
      id: `mfa_${n}`,
      action: 'mfa_totp.enabled',
      target_type: 'mfa_totp',
      operator_id: 'usr_1',
      message: `enabled ${n}`,
    })),
  );
  await api.ingest(
    'communication-logs',
    'tnt_a',
    [1, 2, 3].map((n) => ({
      id: `log_${n}`,
      user_id: 'usr_1',
      channel: 'sms',
      recipient: '13800138000',
      content: `code ${n}`,
    })),
  );
  const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_a', roles: ['audit:write'] });
  for (const [id, status, error] of [
    ['log_1', 'sent', undefined],
    ['log_1', 'delivered', undefined],
    ['log_2', 'failed', 'unreachable'],
  ] as const) {
    const receipt = await api.request('PATCH', `/v1/ingest/communication-logs/${id}`, {
      token: writer,
      body: { status, ...(error === undefined ? {} : { error }) },
    });
    assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
  }
  const admin = await api.token({ sub: 'auditor', tenant_id: 'tnt_a', roles: ['admin'] });
  for (const [kind, size] of [
    ['operate-log', 10],
    ['mfa-config-audit-log', 3],
    ['communication-log', 6],
  ] as const) {
    await waitFor(`a checkpoint of ${size} ${kind} leaves`, async () => {
      const signed = await fetch(`${api.url}/v1/integrity/${kind}/checkpoint`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      return Number((await signed.text()).split('\n')[1]) === size;
    });
  }
  // Published outside the store: a file per checkpoint (and key.vkey) for each of the three logs.
  await waitFor('the checkpoints published', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(dir, entry.name)) : [entry.name],
      );
    return files(checkpoints).filter((name) => name.endsWith('.checkpoint')).length >= 3;
  });
  await api.stop();
  return { api, checkpoints };
}

/** Runs `check` on a store of its own, freshly prepared (preparedStore), then removes it. */
async function onPreparedStore(
  check: (api: TestServer, checkpoints: string) => Promise<void>,
): Promise<void> {
  const { api, checkpoints } = await preparedStore();
  try {
    await check(api, checkpoints);
  } finally {
    await api.close();
    rmSync(checkpoints, { recursive: true, force: true });
  }
}

/** Runs `tamper` on the store of `api` through its SQL, as someone with write access to it would. */
async function tampered(api: TestServer, tamper: (sql: RawSql) => Promise<void>): Promise<void> {
  const sql = await rawSql(api.databaseUrl);
  try {
    await tamper(sql);
  } finally {
    await sql.close();
  }
}

interface VerifyRun {
  code: number | null;
  findings: {
    finding: string;
    tenantId: string;
    recordId?: string;
    kind: string;
    size?: number;
    leafIndex?: number;
  }[];
  output: string;
}

/** The environment verify runs in: the store's, as a server of it would have it. */
const verifyEnv = (api: TestServer) => ({
  DATABASE_URL: api.databaseUrl,
  DATA_KEY,
  SIGNING_KEY: SIGNING_PEM,
  JWT_SECRET: TEST_SECRET,
});

/** `sealog verify --json`, against the published `checkpoints` unless undefined, with `args` more. */
async function verify(
  api: TestServer,
  checkpoints: string | undefined,
  args: readonly string[] = [],
): Promise<VerifyRun> {
  const outcome = await runCli(
    ['verify', '--json', ...(checkpoints === undefined ? [] : ['--checkpoints', checkpoints]), ...args],
    verifyEnv(api),
  );
  const lines = outcome.stdout.split('\n').filter((line) => line.startsWith('{'));
  const findings = lines
    .map((line) => JSON.parse(line) as VerifyRun['findings'][number] & { summary?: unknown })
    .filter((line) => line.summary === undefined);
  return { code: outcome.code, findings, output: `${outcome.stdout}${outcome.stderr}` };
}

/** Re-signs `note` (a checkpoint) with `key`, optionally stating another root. */
function resigned(note: string, key: typeof SIGNING_KEY, root?: Buffer): string {
  const [origin = '', size = '', oldRoot = ''] = note.split('\n');
  return signNote(
    checkpointText({ origin, size: Number(size), root: root ?? Buffer.from(oldRoot, 'base64') }),
    noteSigner(origin, key),
  );
}

/** The SQL of one store or the other. */
const dialect = (sqlite: string, postgresSql: string) => (postgres ? postgresSql : sqlite);

/** Deletes the integrity rows of tenant tnt_a's operate log kept in `tables`. */
async function deleteOperateLog(sql: RawSql, ...tables: string[]): Promise<void> {
  for (const table of tables) {
    await sql.run(`DELETE FROM ${table} WHERE tenant_id = 'tnt_a' AND kind = 'operate-log'`);
  }
}

/**
 * Deletes tenant tnt_a's operate log whole, as if it had never been: its rows (and on PostgreSQL
 * their claims), its state, leaves, tiles and stored checkpoints. Only the published copies are left.
 */
async function deleteWholeOperateLog(sql: RawSql): Promise<void> {
  await sql.run("DELETE FROM operate_logs WHERE tenant_id = 'tnt_a'");
  if (postgres) await sql.run("DELETE FROM operate_log_keys WHERE tenant_id = 'tnt_a'");
  await deleteOperateLog(
    sql,
    'integrity_logs',
    'integrity_leaves',
    'integrity_tiles',
    'integrity_checkpoints',
  );
}

interface Case {
  name: string;
  /** Only on this store (a value its column types would refuse elsewhere). */
  only?: 'sqlite';
  /** Verified without the published checkpoints (no --checkpoints): the store alone must tell. */
  unpublished?: true;
  tamper: (sql: RawSql) => Promise<void>;
  /** The findings expected, each as `finding recordId` or `finding @size` (checked to be present). */
  expect: string[];
}

const CASES: Case[] = [
  {
    name: 'a field of a row edited',
    tamper: (sql) =>
      sql.run("UPDATE operate_logs SET operate_type = 'logout' WHERE tenant_id = 'tnt_a' AND id = 'op_04'"),
    expect: ['edited op_04'],
  },
  {
    name: 'a sealed field replaced by another row’s',
    tamper: (sql) =>
      sql.run(
        "UPDATE operate_logs SET sealed = (SELECT sealed FROM operate_logs WHERE tenant_id = 'tnt_a' AND id = 'op_05') WHERE tenant_id = 'tnt_a' AND id = 'op_06'",
      ),
    expect: ['edited op_06'],
  },
  {
    name: 'one character of a sealed field changed',
    tamper: (sql) =>
      sql.run(
        dialect(
          "UPDATE operate_logs SET sealed = substr(sealed, 1, length(sealed) - 1) || CASE WHEN substr(sealed, -1) = 'A' THEN 'B' ELSE 'A' END WHERE tenant_id = 'tnt_a' AND id = 'op_07'",
          "UPDATE operate_logs SET sealed = left(sealed, -1) || CASE WHEN right(sealed, 1) = 'A' THEN 'B' ELSE 'A' END WHERE tenant_id = 'tnt_a' AND id = 'op_07'",
        ),
      ),
    expect: ['edited op_07'],
  },
  {
    name: 'the current delivery status of a communication log changed',
    tamper: (sql) =>
      sql.run(
        "UPDATE communication_logs SET status = 'delivered' WHERE tenant_id = 'tnt_a' AND id = 'log_2'",
      ),
    expect: ['edited log_2'],
  },
  {
    name: 'a real stored in an integer column',
    only: 'sqlite',
    tamper: (sql) =>
      sql.run(
        "UPDATE operate_logs SET record_time = record_time + 0.5 WHERE tenant_id = 'tnt_a' AND id = 'op_05'",
      ),
    expect: ['edited op_05'],
  },
  {
    name: 'a blob stored in a text column',
    only: 'sqlite',
    tamper: (sql) =>
      sql.run("UPDATE operate_logs SET uid = X'7531' WHERE tenant_id = 'tnt_a' AND id = 'op_02'"),
    expect: ['edited op_02'],
  },
  {
    name: 'a delivery-status transition deleted',
    tamper: (sql) =>
      sql.run(
        "DELETE FROM communication_log_transitions WHERE tenant_id = 'tnt_a' AND log_id = 'log_1' AND to_status = 'sent'",
      ),
    expect: ['removed log_1'],
  },
  {
    name: 'a row deleted',
    tamper: (sql) => sql.run("DELETE FROM operate_logs WHERE tenant_id = 'tnt_a' AND id = 'op_03'"),
    expect: ['removed op_03'],
  },
  {
    name: 'a row inserted',
    tamper: (sql) =>
      sql.run(
        `INSERT INTO operate_logs (tenant_id, id, record_time, uid, username, operate_type, operate_content, user_id, role,
           account, operate_geo_info, operate_ip_info, client_id, merchant_code, ext, project_code, sealed, search_text)
         SELECT tenant_id, 'op_fake', record_time, uid, username, operate_type, operate_content, user_id, role, account,
                operate_geo_info, operate_ip_info, client_id, merchant_code, ext, project_code, sealed, search_text
           FROM operate_logs WHERE tenant_id = 'tnt_a' AND id = 'op_02'`,
      ),
    expect: ['inserted op_fake'],
  },
  {
    name: 'the newest rows deleted',
    tamper: (sql) =>
      sql.run("DELETE FROM operate_logs WHERE tenant_id = 'tnt_a' AND id IN ('op_09', 'op_10')"),
    expect: ['truncated'],
  },
  {
    name: 'the newest rows deleted with their leaves, the log state and the stored checkpoints',
    tamper: async (sql) => {
      await sql.run("DELETE FROM operate_logs WHERE tenant_id = 'tnt_a' AND id IN ('op_09', 'op_10')");
      await sql.run(
        "DELETE FROM integrity_leaves WHERE tenant_id = 'tnt_a' AND kind = 'operate-log' AND leaf_index >= 8",
      );
      await sql.run(
        "UPDATE integrity_logs SET assigned = 8, tree_size = 8 WHERE tenant_id = 'tnt_a' AND kind = 'operate-log'",
      );
      await sql.run("DELETE FROM integrity_checkpoints WHERE tenant_id = 'tnt_a' AND kind = 'operate-log'");
    },
    expect: ['truncated @10'],
  },
  {
    name: 'a whole log deleted: its rows, state, leaves, tiles and stored checkpoints',
    tamper: deleteWholeOperateLog,
    expect: ['truncated @10'],
  },
  {
    name: 'the state row of a log deleted, its rows, leaves and checkpoints left',
    tamper: (sql) => deleteOperateLog(sql, 'integrity_logs'),
    expect: ['truncated @10'],
  },
  {
    name: 'the state row of a log deleted, verified without the published checkpoints',
    unpublished: true,
    tamper: (sql) => deleteOperateLog(sql, 'integrity_logs'),
    expect: ['truncated @10'],
  },
  {
    name: 'the state row and the stored checkpoints of a log deleted, verified without the published ones',
    unpublished: true,
    tamper: (sql) => deleteOperateLog(sql, 'integrity_logs', 'integrity_checkpoints'),
    expect: ['truncated'],
  },
  {
    name: 'the stored checkpoints of a log deleted, its published copies left',
    tamper: (sql) => deleteOperateLog(sql, 'integrity_checkpoints'),
    expect: ['removed @10'],
  },
  {
    name: 'a stored checkpoint’s root replaced',
    tamper: async (sql) => {
      // The newest one: a log may also have checkpoints of fewer leaves, signed while it was written.
      const [row] = await sql.rows(
        "SELECT note, tree_size FROM integrity_checkpoints WHERE tenant_id = 'tnt_a' AND kind = 'mfa-config-audit-log' ORDER BY tree_size DESC LIMIT 1",
      );
      const lines = String(row?.note).split('\n');
      lines[2] = randomBytes(32).toString('base64');
      await sql.run(
        `UPDATE integrity_checkpoints SET note = '${lines.join('\n')}' WHERE tenant_id = 'tnt_a' AND kind = 'mfa-config-audit-log' AND tree_size = ${Number(row?.tree_size)}`,
      );
    },
    expect: ['bad-signature @3'],
  },
  {
    name: 'every stored checkpoint re-signed with a new key',
    tamper: async (sql) => {
      const other = generateKeyPairSync('ed25519').privateKey;
      for (const row of await sql.rows(
        'SELECT tenant_id, kind, tree_size, note FROM integrity_checkpoints',
      )) {
        await sql.run(
          `UPDATE integrity_checkpoints SET note = '${resigned(String(row.note), other)}' WHERE tenant_id = '${String(row.tenant_id)}' AND kind = '${String(row.kind)}' AND tree_size = ${Number(row.tree_size)}`,
        );
      }
    },
    expect: ['bad-signature @10', 'bad-signature @3', 'bad-signature @6'],
  },
  {
    name: 'a validly signed checkpoint of another root at a published size',
    tamper: async (sql) => {
      const [row] = await sql.rows(
        "SELECT note, tree_size FROM integrity_checkpoints WHERE tenant_id = 'tnt_a' AND kind = 'operate-log' ORDER BY tree_size DESC LIMIT 1",
      );
      await sql.run(
        `UPDATE integrity_checkpoints SET note = '${resigned(String(row?.note), SIGNING_KEY, randomBytes(32))}' WHERE tenant_id = 'tnt_a' AND kind = 'operate-log' AND tree_size = ${Number(row?.tree_size)}`,
      );
    },
    expect: ['forked @10'],
  },
];

describe(`sealog verify finds what was done to the store (${TEST_STORE})`, () => {
  test('an untouched store verifies clean (exit 0)', async () => {
    await onPreparedStore(async (api, checkpoints) => {
      const run = await verify(api, checkpoints);
      assert.deepEqual(run.findings, [], run.output);
      assert.equal(run.code, 0, run.output);
    });
  });

  for (const { name, tamper, expect, unpublished } of CASES.filter(
    ({ only }) => only === undefined || only === TEST_STORE,
  )) {
    test(`${name}: exit 1, and it says so`, async () => {
      await onPreparedStore(async (api, checkpoints) => {
        await tampered(api, tamper);
        const run = await verify(api, unpublished === true ? undefined : checkpoints);
        assert.equal(run.code, 1, run.output);
        const said = run.findings.map((finding) => [
          `${finding.finding} ${finding.recordId ?? ''}`.trim(),
          `${finding.finding} @${finding.size ?? ''}`,
          finding.finding,
        ]);
        for (const wanted of expect) {
          assert.ok(
            said.some((names) => names.includes(wanted)),
            `expected "${wanted}" in:\n${run.output}`,
          );
        }
      });
    });
  }

  test('a log deleted whole: named from its published checkpoints in text and JSON, unless filtered out', async () => {
    await onPreparedStore(async (api, checkpoints) => {
      // A tenant the store never had, published as the publisher would: signed with the store's key.
      const [published] = readdirSync(checkpoints, { recursive: true, encoding: 'utf8' }).filter(
        (file) => file.includes('/tnt_a/operate-log/') && file.endsWith('.checkpoint'),
      );
      const origin = (readFileSync(join(checkpoints, published ?? ''), 'utf8').split('\n')[0] ?? '').replace(
        '/tnt_a/',
        '/tnt_z/',
      );
      assert.match(origin, /\/tnt_z\/operate-log$/, `an origin of tnt_z from ${published}`);
      const signer = noteSigner(origin, SIGNING_KEY);
      const file = checkpointPath(checkpoints, origin, 4);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, signNote(checkpointText({ origin, size: 4, root: randomBytes(32) }), signer));
      writeFileSync(join(dirname(file), 'key.vkey'), `${verifierKeyText(signer)}\n`);
      // Its empty tree published too (a scheduler may sign one before any leaf is hashed): a store
      // without it has lost nothing, so it is no REMOVED finding beside the truncation.
      const empty = createHash('sha256').digest();
      writeFileSync(
        checkpointPath(checkpoints, origin, 0),
        signNote(checkpointText({ origin, size: 0, root: empty }), signer),
      );

      await tampered(api, deleteWholeOperateLog);
      const text = await runCli(['verify', '--checkpoints', checkpoints], verifyEnv(api));
      assert.equal(text.code, 1, `${text.stdout}${text.stderr}`);
      assert.match(text.stdout, /^TRUNCATED tenant "tnt_a", operate-log, checkpoint size 10: /m);
      assert.match(text.stdout, /^TRUNCATED tenant "tnt_z", operate-log, checkpoint size 4: /m);
      // Each log named once or more (an older checkpoint of fewer leaves is a finding too), no other.
      const named = (run: VerifyRun) => [
        ...new Set(run.findings.map(({ finding, tenantId, kind }) => `${finding} ${tenantId}/${kind}`)),
      ];
      const json = await verify(api, checkpoints);
      assert.equal(json.code, 1, json.output);
      assert.deepEqual(
        named(json),
        ['truncated tnt_a/operate-log', 'truncated tnt_z/operate-log'],
        json.output,
      );
      assert.ok(
        json.findings.some(({ tenantId, size }) => tenantId === 'tnt_a' && size === 10),
        json.output,
      );

      // Filtered to one tenant or kind: the other logs published are not looked at.
      const tenant = await verify(api, checkpoints, ['--tenant', 'tnt_a']);
      assert.equal(tenant.code, 1, tenant.output);
      assert.deepEqual(named(tenant), ['truncated tnt_a/operate-log'], tenant.output);
      const kind = await verify(api, checkpoints, ['--kind', 'communication-log']);
      assert.equal(kind.code, 0, kind.output);
      const only = await verify(api, checkpoints, ['--tenant', 'tnt_z']);
      assert.equal(only.code, 1, only.output);
      assert.deepEqual(named(only), ['truncated tnt_z/operate-log'], only.output);
    });
  });

  test('no verdict (exit 2, not 1): a tenant without logs, a published key that is no key', async () => {
    await onPreparedStore(async (api, checkpoints) => {
      const env = { DATABASE_URL: api.databaseUrl, DATA_KEY };
      const typo = await runCli(['verify', '--tenant', 'tnt_b', '--checkpoints', checkpoints], env);
      assert.equal(typo.code, 2, `${typo.stdout}${typo.stderr}`);
      assert.match(typo.stderr, /no log of tenant "tnt_b" in this store: check --tenant/);

      const keys = readdirSync(checkpoints, { recursive: true, encoding: 'utf8' }).filter((file) =>
        file.endsWith('key.vkey'),
      );
      assert.ok(keys.length > 0, 'published keys');
      writeFileSync(join(checkpoints, keys[0] ?? ''), 'not a verifier key\n');
      const garbled = await runCli(['verify', '--checkpoints', checkpoints], env);
      assert.equal(garbled.code, 2, `${garbled.stdout}${garbled.stderr}`);
      assert.match(garbled.stderr, /--checkpoints: /);
    });
  });
});
