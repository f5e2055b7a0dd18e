/**
 * `sealog copy` keeps the tamper evidence: a SQLite store written by a real server (every kind,
 * delivery-status transitions, signed checkpoints) is copied into PostgreSQL by the real CLI, and
 * the target then verifies clean with the source's leaves, tree sizes and roots, serves the same
 * plaintext and the same checkpoints. An interrupted copy resumed gives the same logs; a target
 * holding other logs, or other keys, is refused before anything is written.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import Database from 'better-sqlite3';
import pg from 'pg';
import { runCli, serveCli, startCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { hashLeaf, merkleTreeHash } from '../helpers/independent-merkle.js';
import { leafCount, legacyRows, writeLegacySqlite } from '../helpers/legacy-store.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { send, signedRequest } from '../helpers/tuya-signing.js';
import { waitFor } from '../helpers/wait-for.js';
import { parseConfig } from '../../src/config.js';
import type { LogStatus } from '../../src/integrity/sequencing/integrity-store.js';
import { openStore } from '../../src/storage/open-store.js';
import type { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SqliteExport } from '../../src/storage/sqlite/sqlite-export.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;
const SIGNING_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const TUYA_CLIENT = { clientId: 'copyclient0000001', secret: 'copy-secret-0123456789ab' };
/** What every server of these tests is given: the source's and the target's share their keys. */
const SERVER_ENV = {
  JWT_SECRET: TEST_SECRET,
  DATA_KEY,
  SIGNING_KEY,
  INTEGRITY_ORIGIN: 'audit.copy.test',
  TUYA_CLIENTS: `${TUYA_CLIENT.clientId}:${TUYA_CLIENT.secret}:tnt_a`,
};
const KINDS = ['communication-log', 'mfa-config-audit-log', 'operate-log'] as const;
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'usr_test')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(TEST_SECRET));
const admin = (tenant: string) => token({ sub: 'auditor', tenant_id: tenant, roles: ['admin'] });

async function call(
  base: string,
  method: string,
  path: string,
  as: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${as}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Writes every kind through the API of `server`: logs of two tenants, histories, reads, checkpoints. */
async function writeThroughApi(server: ServingCli): Promise<void> {
  for (const [tenant, logs] of [
    ['tnt_a', 160],
    ['tnt_b', 40],
  ] as const) {
    const writer = await token({ sub: 'svc', tenant_id: tenant, roles: ['audit:write'] });
    const ingest = async (kind: string, records: unknown[]) => {
      const answer = await call(server.url, 'POST', `/v1/ingest/${kind}`, writer, records);
      assert.equal(answer.status, 200, answer.text);
    };
    await ingest(
      'communication-logs',
      Array.from({ length: logs }, (_, n) => ({
        id: `log_${String(n).padStart(4, '0')}`,
        user_id: `usr_${n % 7}`,
        channel: n % 2 === 0 ? 'sms' : 'email',
        recipient: n % 2 === 0 ? `1380013${String(n).padStart(4, '0')}` : `u${n}@example.com`,
        content: n % 3 === 0 ? `您的验证码是${100000 + n}` : `Your code is ${n}`,
      })),
    );
    // Histories interleaved with new logs, so a log's transitions come far after its record.
    for (let n = 0; n < logs; n += 3) {
      const id = `log_${String(n).padStart(4, '0')}`;
      const steps =
        n % 2 === 0
          ? [{ status: 'sent' }, { status: 'delivered' }]
          : [{ status: 'failed', error: `no route ${n}` }];
      for (const step of steps) {
        const answer = await call(server.url, 'PATCH', `/v1/ingest/communication-logs/${id}`, writer, step);
        assert.equal(answer.status, 200, answer.text);
      }
      if (n % 30 === 0) {
        await ingest('mfa-config-audit-logs', [
          {
            id: `mfa_${n}`,
            action: 'mfa_totp.enabled',
            target_type: 'mfa_totp',
            operator_id: `usr_${n % 5}`,
            message: `enabled for device ${n}`,
          },
        ]);
      }
    }
    await ingest(
      'operate-logs',
      Array.from({ length: logs / 2 }, (_, n) => ({
        id: `op_${String(n).padStart(4, '0')}`,
        record_time: 1_767_225_600_000 + n * 1000,
        uid: `u${n}`,
        username: `用户 ${n}`,
        operate_type: n % 2 === 0 ? 'login' : 'logout',
        operate_content: `关闭了第${n}号灯`,
        user_id: `usr_${n % 4}`,
        account: `a${n}@example.com`,
        operate_geo_info: 'Hangzhou',
        operate_ip_info: `10.0.0.${n % 250}`,
      })),
    );
  }
  // Reads, recorded in the tenants' access logs.
  for (const tenant of ['tnt_a', 'tnt_b']) {
    assert.equal((await readApi(server, tenant)).length > 0, true);
  }
  // Every log of a kind above signed at its full size (the timer may sign more on the way).
  for (const tenant of ['tnt_a', 'tnt_b']) {
    const as = await admin(tenant);
    for (const kind of KINDS) {
      const answer = await call(server.url, 'POST', `/v1/integrity/${kind}/checkpoint`, as);
      assert.ok(answer.status === 200 || answer.status === 201, answer.text);
    }
  }
}

/** Writes one operate log `id` of `tenant` through the API of `server`. */
async function writeOperateLog(
  server: ServingCli,
  tenant: string,
  id: string,
  content: string,
): Promise<void> {
  const writer = await token({ sub: 'svc', tenant_id: tenant, roles: ['audit:write'] });
  const stored = await call(server.url, 'POST', '/v1/ingest/operate-logs', writer, [
    {
      id,
      record_time: 1_767_225_600_000,
      uid: 'u',
      username: 'x',
      operate_type: 'login',
      operate_content: content,
      user_id: 'usr_1',
    },
  ]);
  assert.equal(stored.status, 200, stored.text);
}

/** The plaintext the APIs answer for `tenant`: lists, histories, MFA logs, Tuya operate logs. */
async function readApi(server: ServingCli, tenant: string): Promise<unknown[]> {
  const as = await admin(tenant);
  const json = async (path: string) => {
    const answer = await call(server.url, 'GET', path, as);
    assert.equal(answer.status, 200, answer.text);
    // The envelope's timestamp is the time of the answer.
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    delete body.timestamp;
    return body;
  };
  const answers: unknown[] = [];
  for (let page = 1; page <= 2; page++) {
    answers.push(await json(`/admin/communication/logs?page=${page}&page_size=100`));
  }
  for (const id of ['log_0000', 'log_0003', 'log_0006', 'log_0030']) {
    answers.push(await json(`/admin/communication/logs/${id}/transitions`));
  }
  answers.push(await json('/admin/mfa/config-audit-logs?page=1&page_size=100'));
  if (tenant === 'tnt_a') {
    const grant = await send(
      server.url,
      signedRequest('/v1.0/token', { ...TUYA_CLIENT, query: { grant_type: '1' } }),
    );
    const accessToken = (grant.body.result as { access_token: string }).access_token;
    const page = await send(
      server.url,
      signedRequest(OPERATE_LOGS, { ...TUYA_CLIENT, accessToken, query: { size: '100' } }),
    );
    assert.equal(page.status, 200);
    answers.push(page.body.result);
  }
  return answers;
}

/** Each log's leaves and state on the target, and the root an independent hasher finds over the leaves. */
interface LogPicture {
  log: string;
  assigned: number;
  treeSize: number;
  root: string;
  leaves: string;
}

async function sourcePicture(path: string): Promise<LogPicture[]> {
  const source = new SqliteExport(path);
  try {
    const pictures = await Promise.all(
      source
        .logStates()
        .map(async (log) => picture(log, await source.leafBytes(log, 0, log.assigned), log.assigned)),
    );
    return pictures.sort(byLog);
  } finally {
    source.close();
  }
}

const byLog = (a: LogPicture, b: LogPicture) => (a.log < b.log ? -1 : a.log > b.log ? 1 : 0);

async function targetPicture(url: string): Promise<LogPicture[]> {
  const store = openStore(parseConfig({ DATABASE_URL: url, DATA_KEY }).store) as PostgresStore;
  try {
    const pictures: LogPicture[] = [];
    for (const log of await store.integrity.logStates()) {
      pictures.push(
        picture(log, await store.integrity.leafBytes(log, 0, log.assigned), log.treeSize, log.root),
      );
    }
    return pictures.sort(byLog);
  } finally {
    await store.close();
  }
}

/** The picture of a log from its leaf bytes; `root` (the stored one) must be the independent root of `treeSize` leaves. */
function picture(log: LogStatus, leaves: Buffer[], treeSize: number, stored?: Buffer): LogPicture {
  const hashes = leaves.map((leaf) => hashLeaf(leaf));
  const root = merkleTreeHash(hashes.slice(0, treeSize));
  if (stored !== undefined)
    assert.ok(stored.equals(root), `${log.tenantId}/${log.kind}: the stored root is the leaves'`);
  return {
    log: `${log.tenantId}/${log.kind}`,
    assigned: log.assigned,
    treeSize,
    root: root.toString('base64'),
    leaves: merkleTreeHash(hashes).toString('hex'),
  };
}

/** `sealog verify --json` on a store: its exit status and its summary. */
async function verify(
  url: string,
): Promise<{ code: number | null; leaves: number; findings: number; output: string }> {
  const outcome = await runCli(['verify', '--json', '--database-url', url], { DATA_KEY, SIGNING_KEY });
  const summary = outcome.stdout
    .split('\n')
    .filter((line) => line.startsWith('{"summary"'))
    .map((line) => (JSON.parse(line) as { summary: { leaves: number; findings: number } }).summary)[0];
  return {
    code: outcome.code,
    leaves: summary?.leaves ?? -1,
    findings: summary?.findings ?? -1,
    output: outcome.stdout + outcome.stderr,
  };
}

/** What `query` answers on a client of `url`, connected for it alone. */
async function onPostgres<T>(url: string, query: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await query(client);
  } finally {
    await client.end();
  }
}

/** A boolean column as SQLite (0 or 1) or PostgreSQL (a boolean) gives it. */
const flag = (value: unknown) => value === true || value === 1;

/** Every checkpoint of a store: log, size, note and whether it was published to CHECKPOINT_DIR. */
async function checkpointRows(url: string): Promise<string[]> {
  const select = `SELECT tenant_id, kind, tree_size, note, dir_published, url_published FROM integrity_checkpoints
                   ORDER BY tenant_id, kind, tree_size`;
  type Row = Record<'tenant_id' | 'kind' | 'note', string> &
    Record<'tree_size' | 'dir_published' | 'url_published', unknown>;
  let rows: Row[];
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    rows = db.prepare(select).all() as Row[];
    db.close();
  } else {
    rows = await onPostgres(url, async (client) => (await client.query<Row>(select)).rows);
  }
  return rows.map(
    (row) =>
      `${row.tenant_id}/${row.kind}/${String(row.tree_size)} ${JSON.stringify(row.note)}` +
      (flag(row.dir_published) ? ' published' : '') +
      (flag(row.url_published) ? ' posted' : ''),
  );
}

/** Rows of a few tables of a schema, to show a refused copy wrote nothing. */
async function schemaRows(url: string): Promise<Record<string, number>> {
  return onPostgres(url, async (client) => {
    const counts: Record<string, number> = {};
    for (const table of [
      'integrity_leaves',
      'integrity_logs',
      'integrity_checkpoints',
      'communication_logs',
      'subject_keys',
      'master_keys',
    ]) {
      const exists = await client.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [
        table,
      ]);
      counts[table] =
        exists.rows[0]?.table == null
          ? -1
          : Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    }
    return counts;
  });
}

describe(
  'sealog copy carries the tamper-evident logs',
  { skip: TEST_DATABASE_URL === undefined ? 'TEST_DATABASE_URL is not set' : false },
  () => {
    let dir: string;
    let sourcePath: string;
    let source: LogPicture[];
    const schemas: TestSchema[] = [];
    const servers: ServingCli[] = [];
    const freshTarget = async () => {
      const schema = await createTestSchema();
      schemas.push(schema);
      return schema.url;
    };
    const copy = (target: string, env: Record<string, string> = { DATA_KEY }, extra: string[] = []) =>
      runCli(['copy', '--from', `sqlite:${sourcePath}`, '--to', target, ...extra], env);
    /** A copy into `target` that is refused (exit 1) and writes nothing there: what it says. */
    const refusedCopy = async (target: string, env?: Record<string, string>): Promise<string> => {
      const before = await schemaRows(target);
      const refused = await copy(target, env);
      assert.equal(refused.code, 1, refused.stderr);
      assert.deepEqual(await schemaRows(target), before, 'nothing written');
      return refused.stderr;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sealog-copy-integrity-'));
      mkdirSync(join(dir, 'source'));
      sourcePath = join(dir, 'source', 'sealog.db');
      // Publishing its checkpoints, so that they are marked published in the store.
      const server = await serveCli([], {
        ...SERVER_ENV,
        DATABASE_URL: `sqlite:${sourcePath}`,
        CHECKPOINT_DIR: join(dir, 'published'),
      });
      servers.push(server);
      await writeThroughApi(server);
      const stopped = await stopCli(server);
      assert.equal(stopped.code, 0, stopped.stderr);
      source = await sourcePicture(sourcePath);
      assert.deepEqual(
        source.map((log) => log.log),
        [
          'tnt_a/access-log',
          'tnt_a/communication-log',
          'tnt_a/mfa-config-audit-log',
          'tnt_a/operate-log',
          'tnt_b/access-log',
          'tnt_b/communication-log',
          'tnt_b/mfa-config-audit-log',
          'tnt_b/operate-log',
        ],
      );
    });
    after(async () => {
      for (const server of servers) await stopCli(server, 'SIGKILL').catch(() => undefined);
      for (const schema of schemas) await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the target verifies with the source’s leaves, sizes and roots, and serves the same', async () => {
      const target = await freshTarget();
      const copied = await copy(target);
      assert.equal(copied.code, 0, copied.stderr);
      assert.match(copied.stdout, /every copied log gives the roots of the source's checkpoints and trees/);
      assert.match(
        copied.stderr,
        /the target's servers need the source's keys: DATA_KEY = the DATA_KEY given/,
      );
      const carried = Number(/and (\d+) checkpoints of/.exec(copied.stdout)?.[1]);
      assert.ok(carried >= KINDS.length * 2, `the checkpoints travelled (${carried})`);
      const sourceCheckpoints = await checkpointRows(`sqlite:${sourcePath}`);
      assert.ok(
        sourceCheckpoints.some((row) => row.endsWith(' published')),
        'the source published some',
      );
      assert.deepEqual(
        await checkpointRows(target),
        sourceCheckpoints,
        'every checkpoint, byte for byte, published where the source published it (not to be published again)',
      );

      const found = await targetPicture(target);
      assert.deepEqual(
        found,
        source,
        'every log: the same leaves, hashed into a tree of all of them, with the root of those leaves',
      );
      const [onTarget, onSource] = [await verify(target), await verify(`sqlite:${sourcePath}`)];
      assert.equal(onTarget.code, 0, onTarget.output);
      assert.equal(onTarget.findings, 0);
      assert.equal(onTarget.leaves, onSource.leaves);
      assert.equal(
        onTarget.leaves,
        source.reduce((sum, log) => sum + log.assigned, 0),
      );

      // Servers on both stores, with the same keys: the same checkpoints and the same plaintext.
      const [sourceServer, targetServer] = await Promise.all([
        serveCli([], { ...SERVER_ENV, DATABASE_URL: `sqlite:${sourcePath}`, CHECKPOINT_INTERVAL: '3600' }),
        serveCli([], { ...SERVER_ENV, DATABASE_URL: target, CHECKPOINT_INTERVAL: '3600' }),
      ]);
      servers.push(sourceServer, targetServer);
      for (const tenant of ['tnt_a', 'tnt_b']) {
        const as = await admin(tenant);
        for (const kind of KINDS) {
          const [mine, theirs] = await Promise.all(
            [sourceServer, targetServer].map((server) =>
              call(server.url, 'GET', `/v1/integrity/${kind}/checkpoint`, as),
            ),
          );
          assert.equal(mine?.status, 200, mine?.text);
          assert.equal(theirs?.text, mine.text, `${tenant}/${kind}: the same checkpoint, byte for byte`);
        }
        assert.deepEqual(await readApi(targetServer, tenant), await readApi(sourceServer, tenant));
      }

      // The target's sequencer goes on after the copied leaves: a record written there now is the
      // next leaf of its log, and the log still verifies.
      const copiedLeaves = found.find((log) => log.log === 'tnt_a/operate-log')?.assigned ?? -1;
      await writeOperateLog(targetServer, 'tnt_a', 'op_late', 'after the move');
      const leafOf = () =>
        onPostgres(target, async (client) => {
          const { rows } = await client.query<{ leaf_index: string; tree_size: string }>(
            `SELECT l.leaf_index, g.tree_size FROM integrity_leaves l JOIN integrity_logs g USING (tenant_id, kind)
              WHERE l.tenant_id = 'tnt_a' AND l.kind = 'operate-log' AND l.record_id = 'op_late'`,
          );
          return rows[0];
        });
      await waitFor(
        'the target to number and hash the new record',
        async () => Number((await leafOf())?.tree_size) > copiedLeaves,
      );
      assert.equal(Number((await leafOf())?.leaf_index), copiedLeaves, 'the leaf after the copied ones');
      await Promise.all([stopCli(sourceServer), stopCli(targetServer)]);
      const after = await verify(target);
      assert.equal(after.code, 0, after.output);
    });

    test('a copy killed part-way and run again gives the same logs', async () => {
      const target = await freshTarget();
      const state = join(dir, 'killed.copy-state.json');
      const args = [
        'copy',
        '--from',
        `sqlite:${sourcePath}`,
        '--to',
        target,
        '--batch-size',
        '7',
        '--state',
        state,
      ];
      const first = startCli(args, { DATA_KEY });
      await waitFor('a few batches committed', () => {
        assert.equal(
          first.child.exitCode,
          null,
          `the copy finished before it could be killed:\n${first.output()}`,
        );
        let copied = 0;
        try {
          const saved = JSON.parse(readFileSync(state, 'utf8')) as {
            leaves: Record<string, Record<string, number>>;
          };
          copied = saved.leaves['communication-log']?.tnt_a ?? 0;
        } catch {
          // Not written yet (the rename makes every file that exists complete).
        }
        // Killed at once, in the middle of the first log: no clean stop, no time to finish.
        if (copied >= 50) first.child.kill('SIGKILL');
        return copied >= 50;
      });
      assert.equal((await first.done).signal, 'SIGKILL');
      const partial = await targetPicture(target);
      assert.ok(partial.length > 0 && partial.length < source.length, 'stopped part-way');
      assert.ok(
        partial.some((log) => log.treeSize < (source.find((whole) => whole.log === log.log)?.assigned ?? 0)),
        'in the middle of a log',
      );
      // Each batch left the target whole: its rows give exactly the leaves it has.
      const halfway = await verify(target);
      assert.equal(halfway.code, 0, halfway.output);

      const second = await runCli(args, { DATA_KEY });
      assert.equal(second.code, 0, second.stderr);
      const present = Number(/; (\d+) leaves were in the target already/.exec(second.stdout)?.[1]);
      assert.ok(present >= 50, `went on from the leaves the target held (${present})`);
      // The first test's servers read the source since: its access logs grew.
      assert.deepEqual(await targetPicture(target), await sourcePicture(sourcePath));
      const checked = await verify(target);
      assert.equal(checked.code, 0, checked.output);
    });

    test('a store migrated from before tamper evidence copies with its legacy histories, batch by batch', async () => {
      // Written by a version without sealing and leaves (schema 5), then migrated: its transitions
      // have no prev_* (legacy, numbered right after their records); newer ones follow.
      const legacyPath = join(dir, 'legacy', 'sealog.db');
      mkdirSync(join(dir, 'legacy'));
      const rows = legacyRows(12, { communication: 12, mfa: 0, operate: 0, access: 0 }, ['tnt_a']);
      writeLegacySqlite(legacyPath, rows);
      let newer = 0;
      const store = new SqliteStore(legacyPath);
      try {
        await store.migrate();
        for (const log of rows.communication_logs.filter((_, n) => n % 2 === 0)) {
          if (log.status !== 'pending' && log.status !== 'sent') continue;
          assert.ok(
            await store.communicationLogs.applyTransition({
              tenant_id: String(log.tenant_id),
              log_id: String(log.id),
              from_status: log.status,
              to_status: 'failed',
              error: `bounced ${String(log.id)}`,
              response: null,
              sent_at: null,
              changed_at: Number(log.updated_at) + 1000,
            }),
          );
          newer++;
        }
      } finally {
        await store.close();
      }
      assert.ok(rows.communication_log_transitions.length > 0 && newer > 0, 'legacy and newer transitions');
      const target = await freshTarget();
      const copied = await runCli([
        'copy',
        '--from',
        `sqlite:${legacyPath}`,
        '--to',
        target,
        '--batch-size',
        '1',
      ]);
      assert.equal(copied.code, 0, copied.stderr);
      assert.deepEqual(await targetPicture(target), await sourcePicture(legacyPath));
      const checked = await verify(target);
      assert.equal(checked.code, 0, checked.output);
      assert.equal(checked.leaves, leafCount(rows) + newer, 'records, legacy transitions, newer transitions');
    });

    test('a target holding another log of the same tenant and kind is refused; nothing is written', async () => {
      const target = await freshTarget();
      const server = await serveCli([], { ...SERVER_ENV, DATABASE_URL: target });
      servers.push(server);
      await writeOperateLog(server, 'tnt_b', 'op_elsewhere', 'not the source’s');
      await waitFor(
        'the target to number its log',
        async () => ((await schemaRows(target)).integrity_leaves ?? 0) >= 1,
      );
      await stopCli(server);

      const refused = await refusedCopy(target);
      assert.match(
        refused,
        /^sealog copy: the target holds other logs than the source's .*nothing was copied/m,
      );
      assert.match(
        refused,
        /operate-log of tenant "tnt_b": its first 1 leaves are not the source's|operate-log of tenant "tnt_b": leaf 0 is not the source's/,
      );
      assert.doesNotMatch(refused, /tnt_a/, 'only the conflicting log is named');
    });

    test('keys that are not the source’s are refused (exit 1), saying what to set; nothing is written', async () => {
      const target = await freshTarget();
      assert.match(
        await refusedCopy(target, {}),
        /the copy needs the master keys of the source's sealed fields: set DATA_KEY to the source's master keys/,
      );

      const wrong = await refusedCopy(target, { DATA_KEY: `k1:${randomBytes(32).toString('base64')}` });
      assert.match(
        wrong,
        /DATA_KEY holds another key under the id "k1" than the one that wrapped the source's subject keys .*set DATA_KEY/,
      );
      assert.doesNotMatch(wrong, /k1:/, 'no key material');
      assert.deepEqual(
        Object.values(await schemaRows(target)),
        [-1, -1, -1, -1, -1, -1],
        'the target is not even migrated',
      );

      // A target whose servers sealed under another master key: both would be needed after the copy.
      const migrated = await runCli(['migrate', '--database-url', target], {
        DATA_KEY: `k9:${randomBytes(32).toString('base64')}`,
      });
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(
        await refusedCopy(target),
        /the target records master key "k9" \(fingerprint [0-9a-f]{16}\), which DATA_KEY does not hold/,
      );
    });

    test('a target signed by another origin or key is refused', async () => {
      const target = await freshTarget();
      const server = await serveCli([], {
        ...SERVER_ENV,
        DATABASE_URL: target,
        INTEGRITY_ORIGIN: 'elsewhere.test',
      });
      servers.push(server);
      await stopCli(server);
      assert.match(
        await refusedCopy(target),
        /the target's logs are signed as elsewhere\.test\/… .* the source's as audit\.copy\.test\/…/,
      );
    });
  },
);
