import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { serveCli, stopCli, type ServingCli } from './helpers/cli-process.js';
import {
  generator,
  INGEST_KINDS,
  LOG_OF,
  pick,
  PREFIX,
  recordOf,
  type IngestKind,
  type Random,
  type Row,
} from './helpers/log-events.js';
import { createTestSchema, type TestSchema } from './helpers/postgres-schema.js';
import { TEST_SECRET, TEST_STORE } from './helpers/test-server.js';
import { send, signedRequest, type Strings } from './helpers/tuya-signing.js';
import { waitFor } from './helpers/wait-for.js';

// kill -9 while clients ingest: `sealog serve` runs as a child process on one store (a SQLite file,
// or a PostgreSQL schema with TEST_STORE=postgres) and is killed with SIGKILL in the middle of
// concurrent batches, then started again on the same data. Every acknowledged batch must be there,
// whole; a batch that was in flight must be there whole or not at all. Nothing here waits for a
// clock: the kill comes once enough batches of the trial are acknowledged.

const TRIALS = 3;
const CLIENTS = 4;
const TENANT = 'tnt_crash';
const TUYA_CLIENT = 'sealogcrashcli01';
const TUYA_SECRET = 'crash-secret-0123456789';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';

/** The seed of every batch's size, kind and contents; SEALOG_CRASH_SEED=<seed> repeats a run's batches. */
const SEED = process.env.SEALOG_CRASH_SEED ? Number(process.env.SEALOG_CRASH_SEED) : randomInt(2 ** 31);
if (!Number.isSafeInteger(SEED)) throw new Error(`SEALOG_CRASH_SEED must be an integer, not ${SEED}`);
const reproduce = `(seed ${SEED}: SEALOG_CRASH_SEED=${SEED} sends the same batches)`;

interface Batch {
  /** e.g. t2c3b14: trial 2, client 3, its 15th batch. */
  name: string;
  trial: number;
  kind: IngestKind;
  ids: string[];
  records: Row[];
  /** `acknowledged`: answered 200; `unanswered`: in flight when the server was killed. */
  state: 'sending' | 'acknowledged' | 'unanswered';
  /** For an unanswered batch, what the first restart found; every later one must find the same. */
  found?: 'whole' | 'absent';
}

interface KillFigures {
  /** Batches the trial sent before the kill. */
  sent: number;
  acknowledged: number;
  /** Requests sent and not yet answered at the moment of the kill. */
  openAtKill: number;
  unanswered: number;
}

/** The generator of one client in one trial (or of a trial's kill point, client -1). */
const streamOf = (trial: number, client: number): Random =>
  generator(SEED ^ Math.imul(trial, 0x9e3779b1) ^ Math.imul(client + 2, 0x85ebca6b));

/** The `index`th batch of `client` in `trial`: 200 to 500 records of one kind, ids unique in the run. */
function makeBatch(random: Random, trial: number, client: number, index: number): Batch {
  const kind = pick(random, INGEST_KINDS);
  const name = `t${trial}c${client}b${index}`;
  const size = 200 + Math.floor(random() * 301);
  const records = Array.from({ length: size }, (_, i) =>
    recordOf(kind, random, `${PREFIX[kind]}${name}_${i}`),
  );
  return { name, trial, kind, ids: records.map((row) => String(row.id)), records, state: 'sending' };
}

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_crash_test')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(TEST_SECRET));

interface IngestAnswer {
  ids: string[];
  inserted: number;
  duplicates: string[];
}

/**
 * Runs CLIENTS ingest loops against `server`, each sending its next batch as soon as the last one
 * is answered, and sends SIGKILL once `killAfter` batches of the trial are acknowledged; resolves
 * when the process is gone and every request has settled. Any answer but 200 before the kill fails.
 */
async function ingestUntilKilled(
  server: ServingCli,
  trial: number,
  ledger: Batch[],
  killAfter: number,
): Promise<KillFigures> {
  const writer = await token({ tenant_id: TENANT, roles: ['audit:write'] });
  const figures: KillFigures = { sent: 0, acknowledged: 0, openAtKill: 0, unanswered: 0 };
  let open = 0;
  let sentKill = false;
  // A function, not the flag itself: it changes while a client awaits.
  const killed = () => sentKill;
  const kill = () => {
    if (sentKill) return;
    sentKill = true;
    figures.openAtKill = open;
    server.child.kill('SIGKILL');
  };

  const client = async (clientNo: number) => {
    const random = streamOf(trial, clientNo);
    for (let index = 0; !killed(); index++) {
      const batch = makeBatch(random, trial, clientNo, index);
      ledger.push(batch);
      figures.sent++;
      open++;
      let status: number;
      let body: string;
      try {
        const response = await fetch(`${server.url}/v1/ingest/${batch.kind}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch.records),
        });
        status = response.status;
        body = await response.text();
      } catch (error) {
        open--;
        batch.state = 'unanswered';
        if (killed()) return;
        throw new Error(`batch ${batch.name} failed before the kill ${reproduce}`, { cause: error });
      }
      open--;
      assert.equal(status, 200, `batch ${batch.name} (${batch.kind}): ${body} ${reproduce}`);
      const answer = JSON.parse(body) as IngestAnswer;
      assert.deepEqual(answer.ids, batch.ids, `batch ${batch.name}: the ids in the order sent`);
      assert.equal(answer.inserted, batch.ids.length, `batch ${batch.name}: every id is new`);
      batch.state = 'acknowledged';
      figures.acknowledged++;
      if (figures.acknowledged >= killAfter && open > 0) kill();
    }
  };

  const outcomes = await Promise.allSettled(
    Array.from({ length: CLIENTS }, (_, clientNo) =>
      client(clientNo).catch((error: unknown) => {
        kill(); // stops the other clients too
        throw error;
      }),
    ),
  );
  const ended = await server.done;
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  assert.equal(ended.signal, 'SIGKILL', `the server ended by the kill, not before it:\n${server.output()}`);
  figures.unanswered = ledger.filter((batch) => batch.trial === trial && batch.state === 'unanswered').length;
  return figures;
}

/** Every row of an AuthMS admin list, page by page; its `total` must count exactly those rows. */
async function adminListIds(url: string, path: string, admin: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const response = await fetch(`${url}${path}?page_size=100&page=${page}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${path} page ${page}: ${text}`);
    const body = JSON.parse(text) as { items: { id: string }[]; total: number };
    if (body.items.length === 0) {
      assert.equal(body.total, ids.length, `${path}: total counts the rows listed`);
      return ids;
    }
    ids.push(...body.items.map((item) => item.id));
  }
}

/** Every operate log of the tenant, walked through Tuya's signed API with its cursor. */
async function operateLogIds(url: string): Promise<string[]> {
  const signing = { clientId: TUYA_CLIENT, secret: TUYA_SECRET };
  const issued = await send(url, signedRequest('/v1.0/token', { ...signing, query: { grant_type: '1' } }));
  assert.equal(issued.body.success, true, JSON.stringify(issued.body));
  const accessToken = (issued.body.result as { access_token: string }).access_token;
  const ids: string[] = [];
  let query: Strings = { size: '100' };
  for (;;) {
    const { body } = await send(url, signedRequest(OPERATE_LOGS, { ...signing, accessToken, query }));
    assert.equal(body.success, true, JSON.stringify(body));
    const page = body.result as { list: { id: string }[]; has_more: boolean; last_row_key: string };
    ids.push(...page.list.map((row) => row.id));
    if (!page.has_more) return ids;
    query = { size: '100', last_row_key: page.last_row_key };
  }
}

/**
 * Every stored record of `kind` is exactly one leaf of the tenant's log, whatever the kill
 * interrupted (numbering, hashing): signed checkpoints catch up with the rows, and the leaves,
 * read back through the API, name each stored id once.
 */
async function verifyLog(
  url: string,
  admin: string,
  kind: IngestKind,
  ids: readonly string[],
): Promise<void> {
  const base = `${url}/v1/integrity/${LOG_OF[kind]}`;
  const headers = { authorization: `Bearer ${admin}` };
  await waitFor(`the ${kind} log to cover its ${ids.length} records`, async () => {
    const signed = await fetch(`${base}/checkpoint`, { method: 'POST', headers });
    const note = await signed.text();
    assert.ok(signed.status === 200 || signed.status === 201, note);
    const size = Number(note.split('\n')[1]);
    assert.ok(size <= ids.length, `${kind}: ${size} leaves for ${ids.length} records ${reproduce}`);
    return size === ids.length;
  });
  const leaves: string[] = [];
  while (leaves.length < ids.length) {
    const page = await fetch(`${base}/leaves?start=${leaves.length}&limit=10000`, {
      headers: { ...headers, accept: 'application/x-ndjson' },
    });
    const lines = (await page.text()).split('\n').filter((line) => line !== '');
    assert.ok(lines.length > 0, `${kind}: leaves end early`);
    leaves.push(...lines);
  }
  const leafIds = leaves.map((leaf) => (JSON.parse(leaf) as { id: string }).id);
  assert.deepEqual(
    [...leafIds].sort(),
    [...ids].sort(),
    `${kind}: each stored record is one leaf ${reproduce}`,
  );
}

/**
 * Reads every stored id of every kind through the HTTP API of a freshly started server and checks
 * the ledger against it; returns what the batches of each trial turned out to be.
 */
async function verify(url: string, ledger: readonly Batch[]): Promise<Map<number, string>> {
  const admin = await token({ tenant_id: TENANT, roles: ['admin'] });
  const stored: Record<IngestKind, string[]> = {
    'communication-logs': await adminListIds(url, '/admin/communication/logs', admin),
    'mfa-config-audit-logs': await adminListIds(url, '/admin/mfa/config-audit-logs', admin),
    'operate-logs': await operateLogIds(url),
  };
  const problems: string[] = [];
  const present: Record<IngestKind, Set<string>> = {
    'communication-logs': new Set(stored['communication-logs']),
    'mfa-config-audit-logs': new Set(stored['mfa-config-audit-logs']),
    'operate-logs': new Set(stored['operate-logs']),
  };
  for (const kind of INGEST_KINDS) {
    if (present[kind].size !== stored[kind].length) problems.push(`${kind}: a row listed twice`);
    const sent = new Set(ledger.filter((batch) => batch.kind === kind).flatMap((batch) => batch.ids));
    const strays = stored[kind].filter((id) => !sent.has(id));
    if (strays.length > 0) problems.push(`${kind}: ids nobody sent: ${strays.slice(0, 5).join(', ')}`);
  }
  for (const batch of ledger) {
    const found = batch.ids.filter((id) => present[batch.kind].has(id)).length;
    const whole = found === batch.ids.length;
    const of = `${found} of its ${batch.ids.length} ${batch.kind}`;
    if (batch.state === 'acknowledged' && !whole) {
      problems.push(`acknowledged batch ${batch.name} lost records: ${of} are stored`);
    } else if (batch.state === 'unanswered') {
      if (found !== 0 && !whole) problems.push(`unanswered batch ${batch.name} is partly stored: ${of}`);
      const outcome = whole ? 'whole' : 'absent';
      if (batch.found !== undefined && batch.found !== outcome) {
        problems.push(
          `unanswered batch ${batch.name} was ${batch.found} after an earlier restart, now ${outcome}`,
        );
      }
      batch.found = outcome;
    } else if (batch.state === 'sending') {
      problems.push(`batch ${batch.name} never settled`);
    }
  }
  assert.deepEqual(problems, [], `after the restart ${reproduce}`);
  for (const kind of INGEST_KINDS) await verifyLog(url, admin, kind, stored[kind]);

  const summary = new Map<number, string>();
  for (const trial of new Set(ledger.map((batch) => batch.trial))) {
    const batches = ledger.filter((batch) => batch.trial === trial);
    const acknowledged = batches.filter((batch) => batch.state === 'acknowledged').length;
    const unanswered = batches.filter((batch) => batch.state === 'unanswered');
    const wholeUnanswered = unanswered.filter((batch) => batch.found === 'whole').length;
    summary.set(
      trial,
      `trial ${trial} after a restart: ${acknowledged + wholeUnanswered} of ${batches.length} batches stored ` +
        `(${acknowledged} acknowledged, ${wholeUnanswered} of the ${unanswered.length} in flight at the kill), ` +
        `${batches.length - acknowledged - wholeUnanswered} absent, none partly`,
    );
  }
  return summary;
}

describe(`kill -9 during ingest (${TEST_STORE})`, () => {
  let dir: string;
  let schema: TestSchema | undefined;
  let env: Record<string, string>;
  let running: ServingCli | undefined;
  const ledger: Batch[] = [];
  const reported = new Set<number>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-crash-'));
    schema = TEST_STORE === 'postgres' ? await createTestSchema() : undefined;
    env = {
      DATABASE_URL: schema?.url ?? `sqlite:${join(dir, 'sealog.db')}`,
      JWT_SECRET: TEST_SECRET,
      TUYA_CLIENTS: `${TUYA_CLIENT}:${TUYA_SECRET}:${TENANT}`,
    };
  });
  afterEach(async () => {
    // A failed test may leave its server running: the next one must be alone on the store.
    if (running !== undefined) await stopCli(running, 'SIGKILL');
    running = undefined;
  });
  after(async () => {
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the server on the store and checks every batch of the earlier trials through it. */
  const restartAndVerify = async (t: TestContext) => {
    const server = await serveCli([], env);
    running = server;
    const summary = await verify(server.url, ledger);
    for (const [trial, line] of summary) {
      if (reported.has(trial)) continue;
      reported.add(trial);
      t.diagnostic(line);
    }
    return server;
  };

  for (let trial = 1; trial <= TRIALS; trial++) {
    test(`trial ${trial}: SIGKILL while ${CLIENTS} clients ingest; the earlier trials' batches are intact`, async (t) => {
      const server = await restartAndVerify(t);
      const killAfter = 6 + Math.floor(streamOf(trial, -1)() * 10);
      const figures = await ingestUntilKilled(server, trial, ledger, killAfter);
      t.diagnostic(
        `trial ${trial}: ${figures.sent} batches sent, SIGKILL after ${killAfter} acknowledged with ` +
          `${figures.openAtKill} requests open; in the end ${figures.acknowledged} acknowledged, ` +
          `${figures.unanswered} unanswered ${reproduce}`,
      );
      assert.ok(figures.openAtKill > 0, 'requests were in flight at the kill');
      assert.ok(figures.acknowledged >= killAfter);
    });
  }

  test('after the last kill every acknowledged batch is stored and every batch is whole or absent', async (t) => {
    const server = await restartAndVerify(t);
    const ended = await stopCli(server);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(reported.size, TRIALS, 'every trial was checked');
  });
});
