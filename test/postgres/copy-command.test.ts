import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { copyCommand } from '../../src/cli/copy-command.js';
import { UsageError } from '../../src/cli/settings-options.js';
import { parseConfig } from '../../src/config.js';
import type { DeliveryStatus } from '../../src/kinds/communication-log/communication-log-table.js';
import type { AuditStore } from '../../src/domain/audit-store.js';
import { openStore } from '../../src/storage/open-store.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { runCli as run, startCli as start } from '../helpers/cli-process.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { communicationLog, mfaLog, operateLog } from '../storage/store-contract.js';

const TENANTS = ['tnt_a', 'tnt_b', 'tnt_c'];
const BASE_MS = Date.UTC(2026, 4, 1);

/** Polls the state file until `ready` accepts it; fails if the copy ends first. */
async function waitForState(
  file: string,
  child: ChildProcess,
  ready: (leaves: Record<string, unknown>) => boolean,
) {
  for (;;) {
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { leaves: Record<string, unknown> };
      if (ready(state.leaves)) return;
    } catch {
      // Not written yet (the rename makes every file that exists complete).
    }
    assert.equal(child.exitCode, null, 'the copy finished before it could be interrupted');
    await delay(5);
  }
}

/** A few thousand rows over three tenants, a third of the communication logs with a history. */
async function fillSource(path: string): Promise<void> {
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    const logs = Array.from({ length: 1800 }, (_, i) =>
      communicationLog({
        tenant_id: TENANTS[i % 3],
        id: `log_${String(i).padStart(5, '0')}`,
        user_id: `usr_${i % 17}`,
        channel: (['sms', 'email', 'push'] as const)[i % 3],
        content: i % 2 === 0 ? `您的验证码是${String(100000 + i)}` : `Your code is ${i}`,
        created_at: BASE_MS + i * 1000,
        updated_at: BASE_MS + i * 1000,
      }),
    );
    await store.communicationLogs.insertMany(logs);
    for (const [i, log] of logs.entries()) {
      const path: DeliveryStatus[] =
        i % 8 === 0
          ? ['pending', 'sent', 'delivered']
          : i % 4 === 0
            ? ['pending', 'sent']
            : i % 4 === 1
              ? ['pending', 'failed']
              : [];
      for (let step = 1; step < path.length; step++) {
        const applied = await store.communicationLogs.applyTransition({
          tenant_id: log.tenant_id,
          log_id: log.id,
          from_status: path[step - 1] ?? 'pending',
          to_status: path[step] ?? 'pending',
          error: path[step] === 'failed' ? 'rejected by carrier' : null,
          response: path[step] === 'sent' ? `{"message_id":"m${i}"}` : null,
          sent_at: path[step] === 'sent' ? log.created_at + 500 : null,
          changed_at: log.created_at + step * 1000,
        });
        assert.ok(applied);
      }
    }
    await store.mfaConfigAuditLogs.insertMany(
      Array.from({ length: 900 }, (_, i) =>
        mfaLog({
          tenant_id: TENANTS[i % 3],
          id: `mfa_${String(i).padStart(5, '0')}`,
          timestamp: BASE_MS + i * 7,
        }),
      ),
    );
    await store.operateLogs.insertMany(
      Array.from({ length: 1500 }, (_, i) =>
        operateLog({
          tenant_id: TENANTS[i % 3],
          id: `op_${String(i).padStart(5, '0')}`,
          record_time: BASE_MS + i * 13,
          operate_content: i % 2 === 0 ? `关闭了第${i}号灯` : `Log in to System ${i}`,
        }),
      ),
    );
  } finally {
    await store.close();
  }
}

const SOURCE_ROWS = 1800 + 900 + 1500;
const TRANSITIONS = 1125;
/** Every record and transition is a leaf. */
const SOURCE_LEAVES = SOURCE_ROWS + TRANSITIONS;
/** Three kinds for each of three tenants. */
const LOGS = 9;

/** The store at `url`, opened with the master keys the source generated beside `sourcePath`. */
function targetStore(sourcePath: string, url: string) {
  const config = parseConfig({
    DATABASE_URL: url,
    DATA_KEY: readFileSync(join(dirname(sourcePath), 'data-keys'), 'utf8'),
  });
  return openStore(config.store, { integrity: config.integrity });
}

/** Asserts the target serves what the source serves: every list, page, history and count. */
async function assertSameContent(sourcePath: string, targetUrl: string): Promise<void> {
  const source = new SqliteStore(sourcePath);
  const target = targetStore(sourcePath, targetUrl);
  const read = async (store: AuditStore) => {
    const everything = { limit: 10_000, offset: 0 };
    const tenants = [];
    for (const tenantId of TENANTS) {
      const communication = await store.communicationLogs.list({ tenantId }, everything);
      const histories = [];
      for (const log of communication.rows) {
        histories.push(await store.communicationLogs.listTransitions(tenantId, log.id));
      }
      tenants.push({
        communication,
        histories,
        delivered: await store.communicationLogs.list(
          { tenantId, status: 'delivered' },
          { limit: 5, offset: 3 },
        ),
        mfa: await store.mfaConfigAuditLogs.list({ tenantId }, everything),
        operate: await store.operateLogs.page({ tenantId }, undefined, 10_000),
        search: await store.operateLogs.page({ tenantId, keyWords: '号灯' }, undefined, 20),
      });
    }
    return { tally: await store.tally(), tenants };
  };
  try {
    const expected = await read(source);
    assert.deepEqual(
      expected.tenants.map((tenant) => tenant.communication.total),
      [600, 600, 600],
      'the source is filled',
    );
    assert.equal(
      expected.tenants.flatMap((tenant) => tenant.histories.flat()).length,
      TRANSITIONS,
      'with histories',
    );
    assert.deepEqual(await read(target), expected);
  } finally {
    await source.close();
    await target.close();
  }
}

describe(
  'sealog copy',
  { skip: TEST_DATABASE_URL === undefined ? 'TEST_DATABASE_URL is not set' : false },
  () => {
    let dir: string;
    let sourcePath: string;
    const schemas: TestSchema[] = [];
    const freshTarget = async () => {
      const schema = await createTestSchema();
      schemas.push(schema);
      return schema.url;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sealog-copy-'));
      sourcePath = join(dir, 'source.db');
      await fillSource(sourcePath);
    });
    after(async () => {
      for (const schema of schemas) await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('copies every row with its history; the target then serves what the source served', async () => {
      const target = await freshTarget();
      const copy = await run(['copy', '--from', `sqlite:${sourcePath}`, '--to', target]);
      assert.equal(copy.code, 0, copy.stderr);
      assert.match(
        copy.stdout,
        new RegExp(
          `copied ${SOURCE_LEAVES} new leaves \\(${SOURCE_ROWS} records, ${TRANSITIONS} status transitions\\) ` +
            `and 0 checkpoints of ${LOGS} logs to postgres://.* in [\\d.]+ s; 0 leaves were in`,
        ),
      );
      assert.match(copy.stdout, /communication_log_transitions\s+tnt_a\s+\d+\s+\d+\s+ok/);
      assert.doesNotMatch(copy.stdout, /MISSING/);
      assert.match(
        copy.stderr,
        new RegExp(`copy: ${SOURCE_LEAVES}/${SOURCE_LEAVES} rows \\(100%\\)`),
        'plain progress',
      );
      assert.equal(existsSync(`${sourcePath}.copy-state.json`), false, 'state removed once complete');
      await assertSameContent(sourcePath, target);

      const again = await run(['copy', '--from', `sqlite:${sourcePath}`, '--to', target]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        again.stdout,
        new RegExp(`copied 0 new leaves .*; ${SOURCE_LEAVES} leaves were in the target already`),
      );
    });

    test('an interrupted copy resumes where it stopped; the password is never shown or stored', async () => {
      const url = new URL(await freshTarget());
      url.password = 'pa55-w0rd'; // trust authentication ignores it; it must still never leak
      const state = join(dir, 'resume.json');
      const args = [
        'copy',
        '--from',
        `sqlite:${sourcePath}`,
        '--to',
        url.toString(),
        '--batch-size',
        '10',
        '--state',
        state,
      ];

      // SIGTERM: the copy stops after the batch in flight, saying how to continue.
      const first = start(args);
      await waitForState(state, first.child, (leaves) => leaves['communication-log'] !== undefined);
      first.child.kill('SIGTERM');
      const stopped = await first.done;
      assert.equal(stopped.code, 1, stopped.stderr);
      assert.match(stopped.stderr, /SIGTERM: stopped after a committed batch .* run the same command again/);

      // SIGKILL: no chance to clean up; the checkpoint on disk is all that is left.
      const second = start(args);
      await waitForState(state, second.child, (leaves) => leaves['mfa-config-audit-log'] !== undefined);
      second.child.kill('SIGKILL');
      assert.equal((await second.done).signal, 'SIGKILL');
      const saved = readFileSync(state, 'utf8');
      assert.doesNotMatch(saved, /pa55-w0rd/);
      assert.match(saved, /"target": "postgres:\/\/postgres@127\.0\.0\.1/);

      const third = await run(args);
      assert.equal(third.code, 0, third.stderr);
      const resumed = Number(/; (\d+) leaves were in the target already/.exec(third.stdout)?.[1]);
      assert.ok(
        resumed > 1800 + TRANSITIONS && resumed < SOURCE_LEAVES,
        `went on after ${resumed} leaves: past the communication logs`,
      );
      // Nothing is redone: the copy goes on from the leaves the target holds.
      assert.match(third.stdout, new RegExp(`copied ${SOURCE_LEAVES - resumed} new leaves`));
      for (const outcome of [stopped, third]) {
        assert.doesNotMatch(outcome.stdout + outcome.stderr, /pa55-w0rd/);
        assert.match(outcome.stderr, /postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1/);
      }
      assert.equal(existsSync(state), false);
      await assertSameContent(sourcePath, url.toString());
    });

    test('a state file of another target is set aside with a note', async () => {
      const state = join(dir, 'other-target.json');
      writeFileSync(
        state,
        JSON.stringify({
          version: 2,
          source: sourcePath,
          target: 'postgres://postgres@elsewhere:5432/other',
          leaves: { 'communication-log': { tnt_a: 5 }, 'operate-log': { tnt_z: 7 } },
        }),
      );
      const target = await freshTarget();
      const copy = await run(['copy', '--from', `sqlite:${sourcePath}`, '--to', target, '--state', state]);
      assert.equal(copy.code, 0, copy.stderr);
      assert.match(
        copy.stderr,
        /note: .*other-target\.json records a copy into postgres:\/\/postgres@elsewhere.*recording this one in its place/,
      );
      assert.match(copy.stdout, new RegExp(`copied ${SOURCE_LEAVES} new leaves`));
    });

    test('rows written to the source behind the copy fail verification (exit 1); a re-run adds them', async () => {
      const source = join(dir, 'live.db');
      copyFileSync(sourcePath, source);
      const target = await freshTarget();
      const args = ['copy', '--from', `sqlite:${source}`, '--to', target, '--batch-size', '10'];
      const copy = start(args);
      await waitForState(
        `${source}.copy-state.json`,
        copy.child,
        (leaves) => leaves['mfa-config-audit-log'] !== undefined,
      );
      // A server still running on the source stores a log whose key the walk has passed. The copy
      // is paused meanwhile, so that it cannot finish first however slow the write.
      assert.ok(copy.child.kill('SIGSTOP'), 'the copy finished before it could be paused');
      const writer = new SqliteStore(source);
      try {
        await writer.communicationLogs.insertMany([
          communicationLog({ tenant_id: 'tnt_a', id: 'log_', content: 'late' }),
        ]);
      } finally {
        copy.child.kill('SIGCONT');
        await writer.close();
      }
      const outcome = await copy.done;
      assert.equal(outcome.code, 1, outcome.stderr);
      assert.match(outcome.stdout, /communication_logs\s+tnt_a\s+601\s+600\s+MISSING 1/);
      assert.match(outcome.stderr, /^sealog copy: verification failed: .*run the same command again/m);

      const rerun = await run(args);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(
        rerun.stdout,
        new RegExp(`copied 1 new leaves .*; ${SOURCE_LEAVES} leaves were in the target already\n`),
      );
    });

    test('--help explains the command; mistakes exit 2 with one line saying what to do', async () => {
      const help = await run(['copy', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: sealog copy --from sqlite:PATH --to postgres:\/\//);
      for (const option of [
        '--from',
        '--to',
        '--batch-size',
        '--state',
        '--restart',
        'resum|continues',
        'Exit status',
      ]) {
        assert.match(help.stdout, new RegExp(option));
      }
      assert.match((await run(['--help'])).stdout, /copy\s+copy a SQLite store into PostgreSQL/);

      // Nothing listens on port 1: should a case ever get as far as connecting, it fails instead of writing.
      const target = 'postgres://postgres:hunter2-secret@127.0.0.1:1/nowhere';
      const cases: [string[], RegExp][] = [
        [[], /--from sqlite:PATH is required .*See: sealog copy --help/],
        [['--from', `sqlite:${sourcePath}`], /--to postgres:\/\/… is required/],
        [
          ['--from', `sqlite:${sourcePath}`, '--to', 'sqlite:x.db'],
          /--to must be a PostgreSQL URL .*\(got "sqlite:…"\)/,
        ],
        [
          ['--from', `sqlite:${join(dir, 'missing.db')}`, '--to', target],
          /--from: .*missing\.db does not exist/,
        ],
        [
          ['--from', `sqlite:${sourcePath}`, '--to', target, '--colour'],
          /Unknown option '--colour'.*See: sealog copy --help/,
        ],
      ];
      // Each run starts a fresh node: run them side by side.
      const outcomes = await Promise.all(cases.map(([args]) => run(['copy', ...args])));
      for (const [index, [args, message]] of cases.entries()) {
        const { code, stderr } = outcomes[index] ?? { code: null, stderr: '' };
        assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
        assert.match(stderr, /^sealog copy: /);
        assert.match(stderr, message);
        assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
        assert.doesNotMatch(stderr, /hunter2/);
      }
      assert.equal(existsSync(join(dir, 'missing.db')), false, 'a missing source is not created');
    });

    test("the target obeys a server's DATABASE_STATEMENT_TIMEOUT: a bad value exits 2 before anything runs", async () => {
      const help = await run(['copy', '--help']);
      assert.match(help.stdout, /DATABASE_STATEMENT_TIMEOUT/);
      // Nothing listens on port 1: read after the setting, it would fail with another message.
      const target = 'postgres://postgres:hunter2-secret@127.0.0.1:1/nowhere';
      const refused = await run(['copy', '--from', `sqlite:${sourcePath}`, '--to', target], {
        DATABASE_STATEMENT_TIMEOUT: '30s',
      });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /^sealog copy: invalid configuration: DATABASE_STATEMENT_TIMEOUT must be an integer from \d+ to \d+ \(got "30s"\)\n$/,
      );
      assert.doesNotMatch(refused.stderr, /hunter2/);
    });

    test('every other mistake is a UsageError (exit 2) that names the fix and hides the password', async () => {
      // Nothing listens on port 1: should a case ever get as far as connecting, it fails instead of writing.
      const target = 'postgres://postgres:hunter2-secret@127.0.0.1:1/nowhere';
      const from = ['--from', `sqlite:${sourcePath}`];
      const corrupt = join(dir, 'corrupt.json');
      writeFileSync(corrupt, '{"version": 1, "source": ');
      const cases: [string[], RegExp][] = [
        [
          [...from, '--to', 'mysql://root:hunter2-secret@db/x'],
          /--to must be a PostgreSQL URL .*\(got "mysql:…"\)/,
        ],
        [['--from', target, '--to', target], /--from must be sqlite:PATH/],
        [['--from', 'sqlite:', '--to', target], /--from needs a file path after sqlite:/],
        [['--from', 'sqlite::memory:', '--to', target], /--from needs a file path after sqlite:/],
        [
          ['--from', `sqlite:${import.meta.filename}`, '--to', target],
          /--from: .*copy-command\.test\.ts is not an SQLite database/,
        ],
        [
          [...from, '--to', target, '--batch-size', '0'],
          /--batch-size must be a whole number from 1 to 10000 \(got "0"\)/,
        ],
        [[...from, '--to', target, '--batch-size', '10001'], /--batch-size must be/],
        [[...from, '--to', target, '--batch-size', '1e3'], /--batch-size must be/],
        [[...from, '--to', target, 'extra'], /Unexpected argument 'extra'.*See: sealog copy --help/],
        [
          [...from, '--to', await freshTarget(), '--state', corrupt],
          /corrupt\.json is not a sealog copy state file .*delete it or pass --restart/,
        ],
        [
          [...from, '--to', await freshTarget(), '--state', join(dir, 'no-such-dir', 'state.json')],
          /--state: cannot write .*state\.json .*choose a writable place with --state FILE/,
        ],
      ];
      for (const [args, message] of cases) {
        await assert.rejects(copyCommand(args), (error: unknown) => {
          assert.ok(error instanceof UsageError, `${args.join(' ')}: ${String(error)}`);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /hunter2|\n/);
          return true;
        });
      }
    });
  },
);
