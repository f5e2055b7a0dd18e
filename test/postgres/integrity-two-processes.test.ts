/**
 * Two `sealog serve` processes (WORKERS=2 each: a primary and two workers apiece, every one of
 * them a candidate for the sequencer lock and a checkpoint signer) on one PostgreSQL schema,
 * with the same JWT secret, DATA_KEY and SIGNING_KEY, as two hosts behind a load balancer would run.
 *
 * Clients ingest communication, MFA and operate logs of three tenants through both at once —
 * batches with ids out of order, some sent to both servers at the same moment, some re-sending ids
 * stored already, some spanning every tenant — and apply delivery receipts through both, racing on
 * the same logs; meanwhile checkpoints are signed through both servers (and every second by each
 * process's timer). Once the writes are answered, checkpoints are signed until each log's covers
 * all of its rows; then, from the rows as stored (the test's own SQL and log-rebuild.ts), each
 * (tenant, kind) must be exactly one log: every record once and every transition once, leaves
 * 0 … n−1 in commit order, its stored root the RFC 6962 root of the recomputed leaves, and every
 * checkpoint either process signed verified by the configured key and consistent with the next
 * (RFC 9162 proofs from either server, checked by the independent verifier); both servers then stop
 * cleanly. Nothing here waits for a clock: it waits for conditions, and no assertion depends on
 * timing. Before any write, a subtest races POSTs on the still empty logs: each answers the one
 * checkpoint of the empty tree.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import pg from 'pg';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { killGroup, serveCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { hashLeaf, merkleTreeHash, verifyConsistency } from '../helpers/independent-merkle.js';
import { checkpointBody, verifiesIndependently } from '../helpers/independent-note.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  expectedLeaves,
  rootOf,
  TABLE_OF_KIND,
  withoutColumns,
  type RawStore,
} from '../integrity/log-rebuild.js';

/** The seed of every batch and receipt plan; SEALOG_TWO_PROCESS_SEED=<seed> repeats a run's workload. */
const SEED = process.env.SEALOG_TWO_PROCESS_SEED
  ? Number(process.env.SEALOG_TWO_PROCESS_SEED)
  : randomInt(2 ** 31);
if (!Number.isSafeInteger(SEED)) throw new Error(`SEALOG_TWO_PROCESS_SEED must be an integer, not ${SEED}`);
const reproduce = `(seed ${SEED}: SEALOG_TWO_PROCESS_SEED=${SEED} repeats the workload)`;

const TENANTS = ['tnt_north', 'tnt_south', 'tnt_west'] as const;
const KINDS = ['communication-logs', 'mfa-config-audit-logs', 'operate-logs'] as const;
type Kind = (typeof KINDS)[number];
/** The integrity log of each kind's ingest path segment. */
const LOG_OF: Record<Kind, string> = {
  'communication-logs': 'communication-log',
  'mfa-config-audit-logs': 'mfa-config-audit-log',
  'operate-logs': 'operate-log',
};
const PREFIX: Record<Kind, string> = {
  'communication-logs': 'log_',
  'mfa-config-audit-logs': 'mfa_',
  'operate-logs': 'op_',
};
/** Batches of fresh ids per tenant and kind, besides the batches spanning every tenant. */
const BATCHES_PER_LOG = 8;
/** Requests in flight at once (ingest batches and receipts). */
const CLIENTS = 6;
const T0 = Date.UTC(2026, 0, 1);
const HALF_YEAR_MS = 181 * 86_400_000;

type Row = Record<string, string | number | null>;
type Random = () => number;
type Side = 'A' | 'B';
type Status = 'pending' | 'sent' | 'delivered' | 'failed';

/** A seeded generator of floats in [0, 1) (pure-rand's xoroshiro128+). */
function generator(seed: number): Random {
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}
const pick = <T>(random: Random, items: readonly T[]): T => {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};
const shuffle = <T>(random: Random, items: readonly T[]): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
};
/** Visible ASCII of several classes, so that id order (UTF-8 bytes) is not the order ids were made in. */
const ID_CHARS = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz-');
const token = (random: Random, length: number) =>
  Array.from({ length }, () => pick(random, ID_CHARS)).join('');
const timeIso = (random: Random) => new Date(T0 + Math.floor(random() * HALF_YEAR_MS)).toISOString();

function communicationLog(random: Random, id: string): Row {
  const channel = pick(random, ['sms', 'email', 'push'] as const);
  const sent = random() < 0.25;
  return {
    id,
    user_id: `usr_${Math.floor(random() * 12)}`,
    channel,
    ...(sent ? { status: 'sent', sent_at: timeIso(random), response: 'accepted' } : {}),
    ...(!sent && random() < 0.5 ? { status: 'pending' } : {}),
    recipient: channel === 'email' ? `u${token(random, 4)}@example.com` : `138${Math.floor(random() * 1e8)}`,
    content: pick(random, ['您的验证码是 {n}', 'Your code is {n}', 'Login from a new device {n}']).replace(
      '{n}',
      String(Math.floor(random() * 1e6)),
    ),
    provider: pick(random, ['aliyun', 'sendgrid', 'fcm']),
    template_id: `tpl_${Math.floor(random() * 5)}`,
    created_at: timeIso(random),
  };
}

function mfaLog(random: Random, id: string): Row {
  const target = pick(random, ['mfa_totp', 'mfa_sms', 'mfa_recovery_codes']);
  return {
    id,
    action: `${target}.${pick(random, ['enabled', 'disabled', 'reset'])}`,
    target_type: target,
    target_id: `usr_${Math.floor(random() * 12)}`,
    operator_id: `usr_${Math.floor(random() * 4)}`,
    module: 'mfa',
    message: pick(random, ['changed by the user', '管理员重置', 'reset after lockout']),
    timestamp: timeIso(random),
  };
}

function operateLog(random: Random, id: string): Row {
  return {
    id,
    record_time: T0 + Math.floor(random() * HALF_YEAR_MS),
    operate_type: pick(random, ['login', 'logout', 'update', 'delete']),
    operate_content: `turned device ${Math.floor(random() * 100)} ${pick(random, ['on', 'off'])}`,
    uid: `u${Math.floor(random() * 12)}`,
    username: pick(random, ['alice', '张伟', 'bob']),
    user_id: `usr_${Math.floor(random() * 12)}`,
    role: pick(random, ['admin', 'operator']),
    account: `user${Math.floor(random() * 1e4)}@example.com`,
    operate_geo_info: pick(random, ['Hangzhou', 'Berlin']),
    operate_ip_info: `10.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    client_id: 'app1',
    merchant_code: 'm1',
    ext: '{}',
    project_code: 'p1',
  };
}

const RECORD: Record<Kind, (random: Random, id: string) => Row> = {
  'communication-logs': communicationLog,
  'mfa-config-audit-logs': mfaLog,
  'operate-logs': operateLog,
};

/** One delivery receipt: where it is sent and what it says. */
interface Receipt {
  side: Side;
  status: Status;
  /** Sent with a platform writer token, naming the tenant in the body. */
  platform: boolean;
  body: Row;
}

/** A communication log's receipts: rounds one after the other, the receipts of a round all at once. */
interface ReceiptPlan {
  tenant: string;
  id: string;
  rounds: Receipt[][];
}

interface Batch {
  name: string;
  kind: Kind;
  /** undefined: a platform writer's batch, each record naming its tenant. */
  tenant: string | undefined;
  records: Row[];
  ids: string[];
  /** Where it is sent; `both`: to the two servers at the same moment. */
  target: Side | 'both';
  /** Receipt plans of the logs this batch stores first (sent once the batch is acknowledged). */
  plans: ReceiptPlan[];
}

/** Every id sent, per `${tenant}/${kind}`, with the status a communication log was sent with. */
type Ledger = Map<string, Map<string, Status | undefined>>;

const logKey = (tenant: string, kind: string) => `${tenant}/${kind}`;

function receiptOf(random: Random, tenant: string, side: Side, status: Status): Receipt {
  const platform = random() < 0.3;
  const body: Row = { status };
  if (status === 'sent') body.response = `queued ${token(random, 6)}`;
  if (status === 'delivered' && random() < 0.5) body.response = 'DELIVRD';
  if (status === 'failed') body.error = pick(random, ['unreachable', 'bounced', 'blocked by carrier']);
  if (status !== 'failed' && random() < 0.3) body.sent_at = timeIso(random);
  if (platform) body.tenant_id = tenant;
  return { side, status, platform, body };
}

/** Receipts racing on one log through both servers; which of them win is up to the race. */
function receiptPlan(random: Random, tenant: string, id: string, initial: Status): ReceiptPlan {
  const other = (side: Side): Side => (side === 'A' ? 'B' : 'A');
  const first: Side = random() < 0.5 ? 'A' : 'B';
  const r = (side: Side, status: Status) => receiptOf(random, tenant, side, status);
  const plans: Receipt[][][] =
    initial === 'sent'
      ? [
          [[r(first, 'delivered'), r(other(first), 'failed')]],
          [[r(first, 'delivered'), r(other(first), 'delivered')]],
          [[r(first, 'failed')], [r(other(first), 'failed')]],
        ]
      : [
          [[r(first, 'sent'), r(other(first), 'sent')], [r(other(first), 'delivered')]],
          [[r(first, 'sent'), r(other(first), 'delivered')]],
          [[r(first, 'sent')], [r(first, 'delivered'), r(other(first), 'failed')]],
          [[r(first, 'failed')]],
          [[r(first, 'delivered'), r(other(first), 'delivered'), r(first, 'sent')]],
        ];
  return { tenant, id, rounds: pick(random, plans) };
}

/** The whole workload, from SEED: batches in the order the clients take them up. */
function workload(ledger: Ledger): Batch[] {
  const random = generator(SEED);
  const batches: Batch[] = [];
  const made = new Map<string, Row[]>();
  const fresh = (tenant: string, kind: Kind, count: number): Row[] => {
    const rows = Array.from({ length: count }, () => {
      const id = `${PREFIX[kind]}${token(random, 10)}`;
      return RECORD[kind](random, id);
    });
    const key = logKey(tenant, LOG_OF[kind]);
    made.set(key, [...(made.get(key) ?? []), ...rows]);
    const ids = ledger.get(key) ?? new Map<string, Status | undefined>();
    ledger.set(key, ids);
    for (const row of rows) {
      ids.set(
        String(row.id),
        kind === 'communication-logs' ? ((row.status ?? 'pending') as Status) : undefined,
      );
    }
    return rows;
  };
  const plansOf = (tenant: string, kind: Kind, rows: readonly Row[]): ReceiptPlan[] =>
    kind !== 'communication-logs'
      ? []
      : rows
          .filter(() => random() < 0.6)
          .map((row) => receiptPlan(random, tenant, String(row.id), (row.status ?? 'pending') as Status));
  const target = (): Side | 'both' => (random() < 0.3 ? 'both' : random() < 0.5 ? 'A' : 'B');

  for (const kind of KINDS) {
    for (const tenant of TENANTS) {
      for (let n = 0; n < BATCHES_PER_LOG; n++) {
        const rows = fresh(tenant, kind, 12 + Math.floor(random() * 30));
        // Some batches also re-send records stored by an earlier batch of the log: duplicates.
        const earlier = (made.get(logKey(tenant, LOG_OF[kind])) ?? []).slice(0, -rows.length);
        const again = n > 0 && random() < 0.5 ? shuffle(random, earlier).slice(0, 4) : [];
        const records = shuffle(random, [...rows, ...again]);
        batches.push({
          name: `${tenant}/${kind}#${n}`,
          kind,
          tenant,
          records,
          ids: records.map((row) => String(row.id)),
          target: target(),
          plans: plansOf(tenant, kind, rows),
        });
      }
    }
    // One batch of a platform writer, spanning every tenant: one transaction in three logs.
    const spanning = TENANTS.flatMap((tenant) =>
      fresh(tenant, kind, 5 + Math.floor(random() * 6)).map((row): Row => ({ ...row, tenant_id: tenant })),
    );
    const records = shuffle(random, spanning);
    batches.push({
      name: `every tenant/${kind}`,
      kind,
      tenant: undefined,
      records,
      ids: records.map((row) => String(row.id)),
      target: target(),
      plans: TENANTS.flatMap((tenant) =>
        plansOf(
          tenant,
          kind,
          spanning.filter((row) => row.tenant_id === tenant),
        ),
      ),
    });
  }
  return shuffle(random, batches);
}

/** A job of the client pool; resolves with the jobs it gives rise to. */
type Job = () => Promise<Job[]>;

/**
 * Runs `jobs` (and the jobs they give rise to, before the jobs still waiting: receipts follow their
 * batch closely, and the batches spread over the run) with at most `width` in flight; resolves once
 * all have run, rejects with the first failure (what is in flight then settles unobserved).
 */
function runPool(width: number, jobs: readonly Job[]): Promise<void> {
  const queue = [...jobs];
  let running = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (!failed && running < width && queue.length > 0) {
        const job = queue.shift();
        if (job === undefined) break;
        running++;
        job().then(
          (more) => {
            running--;
            queue.unshift(...more);
            pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      if (!failed && running === 0 && queue.length === 0) resolve();
    };
    pump();
  });
}

const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_two_processes')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(TEST_SECRET));

interface Tokens {
  platformWriter: string;
  writer: Map<string, string>;
  admin: Map<string, string>;
}

async function mintTokens(): Promise<Tokens> {
  const writer = new Map<string, string>();
  const admin = new Map<string, string>();
  for (const tenant of TENANTS) {
    writer.set(tenant, await jwt({ tenant_id: tenant, roles: ['audit:write'] }));
    admin.set(tenant, await jwt({ tenant_id: tenant, roles: ['admin'] }));
  }
  return { platformWriter: await jwt({ roles: ['audit:write'] }), writer, admin };
}

const tokenOf = (tokens: Map<string, string>, tenant: string) => {
  const value = tokens.get(tenant);
  if (value === undefined) throw new Error(`no token for ${tenant}`);
  return value;
};

interface Answer {
  status: number;
  text: string;
}

async function call(
  url: string,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
  accept?: string,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(accept === undefined ? {} : { accept }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** What the run did, for the diagnostics. */
interface Figures {
  batchRequests: number;
  recordsSent: number;
  inserted: Record<Kind, number>;
  duplicates: number;
  receipts: number;
  receiptsAnswered200: number;
  receiptsAnswered409: number;
  checkpointPosts: number;
  checkpointsCreatedByPost: number;
}

/** Raw reads of the schema on a connection of the test's own (bigint columns read as numbers). */
interface RawPostgres extends RawStore {
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function rawPostgres(url: string): Promise<RawPostgres> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await client.query<T>(sql, params)).rows;
  return {
    query,
    leaves: (tenant, kind) =>
      query<{ record_id: string; transition: number }>(
        'SELECT record_id, transition FROM integrity_leaves WHERE tenant_id = $1 AND kind = $2 ORDER BY leaf_index',
        [tenant, kind],
      ),
    record: async (table, tenant, id) =>
      (
        await query<Record<string, unknown>>(`SELECT * FROM ${table} WHERE tenant_id = $1 AND id = $2`, [
          tenant,
          id,
        ])
      )[0] ?? {},
    history: async (tenant, logId) =>
      (
        await query<Record<string, unknown>>(
          'SELECT * FROM communication_log_transitions WHERE tenant_id = $1 AND log_id = $2 ORDER BY seq',
          [tenant, logId],
        )
      ).map((row) => withoutColumns(row, 'seq', 'txid')),
    close: () => client.end(),
  };
}

interface StoredCheckpointRow {
  tree_size: number;
  root: Buffer;
  note: string;
}

/** The rows and transitions of one log as stored, and its leaves and checkpoints. */
interface LogFacts {
  tenant: string;
  kind: string;
  records: string[];
  /** Per communication log, its transitions' statuses in seq order. */
  transitions: Map<string, { from_status: string; to_status: string }[]>;
  transitionCount: number;
}

async function factsOf(raw: RawPostgres, tenant: string, kind: string): Promise<LogFacts> {
  const table = TABLE_OF_KIND[kind] ?? '';
  const records = (
    await raw.query<{ id: string }>(`SELECT id FROM ${table} WHERE tenant_id = $1`, [tenant])
  ).map((row) => row.id);
  const transitions = new Map<string, { from_status: string; to_status: string }[]>();
  if (kind === 'communication-log') {
    const rows = await raw.query<{ log_id: string; from_status: string; to_status: string }>(
      'SELECT log_id, from_status, to_status FROM communication_log_transitions WHERE tenant_id = $1 ORDER BY seq',
      [tenant],
    );
    for (const row of rows) {
      const steps = transitions.get(row.log_id) ?? [];
      steps.push({ from_status: row.from_status, to_status: row.to_status });
      transitions.set(row.log_id, steps);
    }
  }
  let transitionCount = 0;
  for (const steps of transitions.values()) transitionCount += steps.length;
  return { tenant, kind, records, transitions, transitionCount };
}

/** The warnings and errors in a server's output (pino JSON lines, level 40 and up), counted by message. */
function troubleIn(output: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const message = `${entry.msg ?? ''}${entry.err?.message === undefined ? '' : `: ${entry.err.message}`}`;
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return counts;
}

const RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, failed: 2 };

/**
 * The leaves of a log are 0 … n−1, each stored record once (transition 0) and each stored transition
 * once (ranks 1 … K of its log), each after the one before it in its record's history.
 */
async function checkLeaves(raw: RawPostgres, facts: LogFacts): Promise<number> {
  const { tenant, kind } = facts;
  const what = `${logKey(tenant, kind)} ${reproduce}`;
  const leaves = await raw.query<{ leaf_index: number; record_id: string; transition: number }>(
    'SELECT leaf_index, record_id, transition FROM integrity_leaves WHERE tenant_id = $1 AND kind = $2 ORDER BY leaf_index',
    [tenant, kind],
  );
  leaves.forEach((leaf, position) => {
    assert.equal(leaf.leaf_index, position, `${what}: leaf indexes run 0 … n−1 without a gap`);
  });
  const expected = new Set<string>();
  for (const id of facts.records) expected.add(`${id}/0`);
  for (const [id, steps] of facts.transitions) steps.forEach((_, k) => expected.add(`${id}/${k + 1}`));
  const named = leaves.map((leaf) => `${leaf.record_id}/${leaf.transition}`);
  assert.equal(new Set(named).size, named.length, `${what}: no record or transition has two leaves`);
  const missing = [...expected].filter((name) => !named.includes(name));
  const strays = named.filter((name) => !expected.has(name));
  assert.deepEqual(missing, [], `${what}: rows without a leaf`);
  assert.deepEqual(strays, [], `${what}: leaves naming no stored row`);
  assert.equal(leaves.length, facts.records.length + facts.transitionCount, what);
  const position = new Map(named.map((name, index) => [name, index]));
  for (const [id, steps] of facts.transitions) {
    for (let k = 1; k <= steps.length; k++) {
      const before = position.get(`${id}/${k - 1}`) ?? Infinity;
      const after = position.get(`${id}/${k}`) ?? -Infinity;
      assert.ok(after > before, `${what}: transition ${k} of ${id} (leaf ${after}) follows leaf ${before}`);
    }
  }
  return leaves.length;
}

/** A communication log's transitions are one forward chain from the status it was sent with to its status now. */
async function checkHistories(raw: RawPostgres, facts: LogFacts, sent: Map<string, Status | undefined>) {
  if (facts.kind !== 'communication-log') return;
  const rows = await raw.query<{ id: string; status: string }>(
    'SELECT id, status FROM communication_logs WHERE tenant_id = $1',
    [facts.tenant],
  );
  for (const { id, status } of rows) {
    let current: string = sent.get(id) ?? 'pending';
    for (const step of facts.transitions.get(id) ?? []) {
      assert.equal(
        step.from_status,
        current,
        `${facts.tenant}/${id}: each transition starts where the last ended`,
      );
      assert.ok((RANK[step.to_status] ?? 0) > (RANK[current] ?? 0), `${facts.tenant}/${id}: moves forward`);
      current = step.to_status;
    }
    assert.equal(status, current, `${facts.tenant}/${id}: its status is where its history ends`);
  }
}

test(
  'two sealog processes on one PostgreSQL schema build one consistent log per tenant and kind',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  async (t: TestContext) => {
    const started = Date.now();
    const schema: TestSchema = await createTestSchema();
    const servers: ServingCli[] = [];
    try {
      const keyPair = generateKeyPairSync('ed25519');
      const signingKey = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' });
      /** The configured key's raw public key, as a verifier key carries it (after its 0x01 type byte). */
      const publicKey = keyPair.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
      const env: Record<string, string> = {
        DATABASE_URL: schema.url,
        DATABASE_POOL_SIZE: '4',
        WORKERS: '2',
        JWT_SECRET: TEST_SECRET,
        DATA_KEY: `k1:${randomBytes(32).toString('base64')}`,
        SIGNING_KEY: typeof signingKey === 'string' ? signingKey : signingKey.toString('utf8'),
        // Every process's timer signs too, racing the POSTs: more signers, never an expectation.
        CHECKPOINT_INTERVAL: '1',
      };
      // Started together: both migrate the empty schema and claim the log identity at once.
      const launched = await Promise.allSettled([serveCli([], env), serveCli([], env)]);
      for (const outcome of launched) if (outcome.status === 'fulfilled') servers.push(outcome.value);
      for (const outcome of launched) if (outcome.status === 'rejected') throw outcome.reason;
      const [a, b] = servers as [ServingCli, ServingCli];
      await waitFor('both servers’ two workers to listen', () =>
        servers.every((server) => /2 workers listening/.test(server.output())),
      );
      const urlOf = (side: Side) => (side === 'A' ? a.url : b.url);
      /** The error lines a server logged (pino level 50 and up), for failure messages. */
      const errorsOf = (side: Side) =>
        (side === 'A' ? a : b)
          .output()
          .split('\n')
          .filter((line) => /"level":(5|6)\d/.test(line))
          .join('\n');
      const tokens = await mintTokens();
      const ledger: Ledger = new Map();
      const batches = workload(ledger);
      const figures: Figures = {
        batchRequests: 0,
        recordsSent: 0,
        inserted: { 'communication-logs': 0, 'mfa-config-audit-logs': 0, 'operate-logs': 0 },
        duplicates: 0,
        receipts: 0,
        receiptsAnswered200: 0,
        receiptsAnswered409: 0,
        checkpointPosts: 0,
        checkpointsCreatedByPost: 0,
      };
      const logs = TENANTS.flatMap((tenant) => KINDS.map((kind) => ({ tenant, kind: LOG_OF[kind] })));

      /** POST …/checkpoint through `side`: the note signed or answered (200 or 201 only). */
      const signThrough = async (side: Side, tenant: string, kind: string): Promise<string> => {
        const answer = await call(
          urlOf(side),
          'POST',
          `/v1/integrity/${kind}/checkpoint`,
          tokenOf(tokens.admin, tenant),
        );
        figures.checkpointPosts++;
        assert.ok(
          answer.status === 200 || answer.status === 201,
          `POST checkpoint of ${logKey(tenant, kind)} through ${side}: ${answer.status} ${answer.text} ${reproduce}\n${errorsOf(side)}`,
        );
        if (answer.status === 201) figures.checkpointsCreatedByPost++;
        return answer.text;
      };

      const jobRandom = generator(SEED ^ 0x5ea1);
      const shuffleJobs = (jobs: Job[]) => shuffle(jobRandom, jobs);

      const receiptJob =
        (plan: ReceiptPlan, round: number): Job =>
        async () => {
          const receipts = plan.rounds[round] ?? [];
          await Promise.all(
            receipts.map(async (receipt) => {
              const bearer = receipt.platform ? tokens.platformWriter : tokenOf(tokens.writer, plan.tenant);
              const answer = await call(
                urlOf(receipt.side),
                'PATCH',
                `/v1/ingest/communication-logs/${plan.id}`,
                bearer,
                receipt.body,
              );
              figures.receipts++;
              // 200: moved or already there; 409: a move backwards, or the race lost three times.
              assert.ok(
                answer.status === 200 || answer.status === 409,
                `receipt ${receipt.status} for ${plan.tenant}/${plan.id} through ${receipt.side}: ${answer.status} ${answer.text} ${reproduce}`,
              );
              if (answer.status === 200) {
                figures.receiptsAnswered200++;
                const { data } = JSON.parse(answer.text) as { data: { id: string; status: string } };
                assert.equal(data.id, plan.id);
              } else figures.receiptsAnswered409++;
            }),
          );
          return round + 1 < plan.rounds.length ? [receiptJob(plan, round + 1)] : [];
        };

      const ingestJob =
        (batch: Batch): Job =>
        async () => {
          const sides: Side[] = batch.target === 'both' ? ['A', 'B'] : [batch.target];
          const bearer =
            batch.tenant === undefined ? tokens.platformWriter : tokenOf(tokens.writer, batch.tenant);
          const answers = await Promise.all(
            sides.map((side) => call(urlOf(side), 'POST', `/v1/ingest/${batch.kind}`, bearer, batch.records)),
          );
          answers.forEach((answer, n) => {
            figures.batchRequests++;
            figures.recordsSent += batch.records.length;
            assert.equal(
              answer.status,
              200,
              `batch ${batch.name} through ${sides[n] ?? ''}: ${answer.text} ${reproduce}`,
            );
            const body = JSON.parse(answer.text) as { ids: string[]; inserted: number; duplicates: string[] };
            assert.deepEqual(body.ids, batch.ids, `batch ${batch.name}: the ids in the order sent`);
            figures.inserted[batch.kind] += body.inserted;
            figures.duplicates += body.duplicates.length;
          });
          return shuffleJobs(batch.plans.map((plan) => receiptJob(plan, 0)));
        };

      // POSTs racing on logs that have no leaf yet: each process signs the empty tree, one of them
      // stores it, and every POST answers it.
      await t.test('POSTs racing on a log without leaves all answer its one checkpoint', async (st) => {
        const answers = await Promise.all(
          logs.flatMap(({ tenant, kind }) =>
            (['A', 'B', 'A', 'B'] as const).map(async (side) => ({
              log: logKey(tenant, kind),
              side,
              ...(await call(
                urlOf(side),
                'POST',
                `/v1/integrity/${kind}/checkpoint`,
                tokenOf(tokens.admin, tenant),
              )),
            })),
          ),
        );
        const failed = answers.filter((answer) => answer.status !== 200 && answer.status !== 201);
        st.diagnostic(`${answers.length} POSTs on ${logs.length} empty logs: ${failed.length} failed`);
        assert.deepEqual(
          failed.map((answer) => `${answer.log} through ${answer.side}: ${answer.status}`),
          [],
          [errorsOf('A'), errorsOf('B')]
            .join('\n')
            .split('\n')
            .find((line) => line.includes('integrity_checkpoints_pkey')) ?? '',
        );
        for (const { tenant, kind } of logs) {
          const notes = new Set(
            answers.filter((answer) => answer.log === logKey(tenant, kind)).map((answer) => answer.text),
          );
          assert.equal(notes.size, 1, `${logKey(tenant, kind)}: one checkpoint of the empty tree`);
        }
      });
      // Whatever that race did, every log has its empty checkpoint now (one POST at a time).
      for (const { tenant, kind } of logs) {
        assert.equal(checkpointBody(await signThrough('A', tenant, kind)).size, 0);
      }

      // Checkpoints signed through both servers while the writes go on, log after log.
      let writing = true;
      const signWhileWriting = async (side: Side) => {
        while (writing) {
          for (const { tenant, kind } of logs) await signThrough(side, tenant, kind);
        }
      };
      const [writes, signing] = await Promise.allSettled([
        runPool(CLIENTS, batches.map(ingestJob)).finally(() => {
          writing = false;
        }),
        Promise.all([signWhileWriting('A'), signWhileWriting('B')]),
      ]);
      if (writes.status === 'rejected') throw writes.reason;
      if (signing.status === 'rejected') throw signing.reason;

      const raw = await rawPostgres(schema.url);
      try {
        // Every id sent is stored once; each duplicate (within a log, or a batch sent to both) stored nothing.
        const facts = new Map<string, LogFacts>();
        for (const { tenant, kind } of logs) {
          const log = await factsOf(raw, tenant, kind);
          facts.set(logKey(tenant, kind), log);
          const sent = [...(ledger.get(logKey(tenant, kind))?.keys() ?? [])].sort();
          assert.deepEqual([...log.records].sort(), sent, `${logKey(tenant, kind)}: the ids sent, each once`);
        }
        for (const kind of KINDS) {
          const stored = TENANTS.reduce(
            (sum, tenant) => sum + (facts.get(logKey(tenant, LOG_OF[kind]))?.records.length ?? 0),
            0,
          );
          assert.equal(
            figures.inserted[kind],
            stored,
            `${kind}: the answers' inserted counts add up to the rows stored`,
          );
        }
        const sizeOf = (tenant: string, kind: string) => {
          const log = facts.get(logKey(tenant, kind));
          return log === undefined ? 0 : log.records.length + log.transitionCount;
        };

        // Sign through both servers, alternately, until every log's checkpoint covers all its rows.
        let turn = 0;
        await waitFor(
          'a checkpoint of every log covering all of its records and transitions',
          async () => {
            let covered = 0;
            for (const { tenant, kind } of logs) {
              const side: Side = turn++ % 2 === 0 ? 'A' : 'B';
              const { size } = checkpointBody(await signThrough(side, tenant, kind));
              assert.ok(
                size <= sizeOf(tenant, kind),
                `${logKey(tenant, kind)}: ${size} leaves signed ${reproduce}`,
              );
              if (size === sizeOf(tenant, kind)) covered++;
            }
            return covered === logs.length;
          },
          { intervalMs: 100 },
        );

        const summary: string[] = [];
        for (const { tenant, kind } of logs) {
          const log = facts.get(logKey(tenant, kind));
          assert.ok(log !== undefined);
          const what = `${logKey(tenant, kind)} ${reproduce}`;
          const admin = tokenOf(tokens.admin, tenant);
          const n = await checkLeaves(raw, log);
          await checkHistories(
            raw,
            log,
            ledger.get(logKey(tenant, kind)) ?? new Map<string, Status | undefined>(),
          );

          // The stored state: every leaf numbered and hashed, its root the root of the rows as stored.
          const leaves = await expectedLeaves(raw, tenant, kind);
          assert.equal(leaves.length, n);
          const [state] = await raw.query<{ assigned: number; tree_size: number; root: Buffer }>(
            'SELECT assigned, tree_size, root FROM integrity_logs WHERE tenant_id = $1 AND kind = $2',
            [tenant, kind],
          );
          assert.ok(state !== undefined, `${what}: the log exists`);
          assert.equal(state.assigned, n, what);
          assert.equal(state.tree_size, n, what);
          const leafHashes = leaves.map((leaf) => hashLeaf(Buffer.from(leaf, 'utf8')));
          const rootAt = (size: number) => merkleTreeHash(leafHashes.slice(0, size));
          assert.equal(
            state.root.toString('hex'),
            rootOf(leaves),
            `${what}: the stored root is the rows' root`,
          );

          // Both servers name the same key; the leaves they serve are the leaves recomputed from the rows.
          const keys = await Promise.all(
            (['A', 'B'] as const).map(async (side) => {
              const answer = await call(urlOf(side), 'GET', `/v1/integrity/${kind}/key`, admin);
              assert.equal(answer.status, 200, answer.text);
              const { origin, verifier_key } = JSON.parse(answer.text) as {
                origin: string;
                verifier_key: string;
              };
              return { origin, verifier_key };
            }),
          );
          assert.deepEqual(keys[1], keys[0], `${what}: both servers name one origin and key`);
          const { origin, verifier_key: verifierKey } = keys[0] ?? { origin: '', verifier_key: '' };
          assert.ok(origin.endsWith(`/${tenant}/${kind}`), origin);
          const named = Buffer.from(verifierKey.split('+').slice(2).join('+'), 'base64');
          assert.ok(
            named.equals(Buffer.concat([Buffer.from([1]), publicKey])),
            `${what}: the verifier key is SIGNING_KEY's public key`,
          );
          const served = await call(
            b.url,
            'GET',
            `/v1/integrity/${kind}/leaves?start=0&limit=10000`,
            admin,
            undefined,
            'application/x-ndjson',
          );
          assert.equal(served.status, 200, served.text);
          assert.deepEqual(
            served.text.split('\n').filter((line) => line !== ''),
            leaves,
            `${what}: leaves served`,
          );

          // Every checkpoint either process signed: the configured key's, each prefix's root, each
          // consistent with the next by a proof either server gives.
          const checkpoints = await raw.query<StoredCheckpointRow>(
            'SELECT tree_size, root, note FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2 ORDER BY tree_size',
            [tenant, kind],
          );
          assert.ok(checkpoints.length > 0, what);
          assert.equal(
            checkpoints[checkpoints.length - 1]?.tree_size,
            n,
            `${what}: the latest covers every leaf`,
          );
          const latest = await call(a.url, 'GET', `/v1/integrity/${kind}/checkpoint`, admin);
          assert.equal(
            latest.text,
            checkpoints[checkpoints.length - 1]?.note,
            `${what}: GET answers the latest`,
          );
          for (const checkpoint of checkpoints) {
            const body = checkpointBody(checkpoint.note);
            assert.equal(body.origin, origin, what);
            assert.equal(body.size, checkpoint.tree_size, what);
            assert.ok(body.root.equals(checkpoint.root), `${what}: the note's root is the row's`);
            assert.ok(
              body.root.equals(rootAt(body.size)),
              `${what}: checkpoint ${body.size} is the root of the first ${body.size} leaves`,
            );
            assert.ok(
              await verifiesIndependently(checkpoint.note, verifierKey),
              `${what}: signed by the key:\n${checkpoint.note}`,
            );
          }
          let proofs = 0;
          for (let i = 1; i < checkpoints.length; i++) {
            const from = checkpointBody(checkpoints[i - 1]?.note ?? '');
            const to = checkpointBody(checkpoints[i]?.note ?? '');
            assert.ok(from.size < to.size, what);
            if (from.size === 0) continue; // the empty tree is a prefix of every tree
            const side: Side = i % 2 === 0 ? 'A' : 'B';
            const answer = await call(
              urlOf(side),
              'GET',
              `/v1/integrity/${kind}/consistency?from=${from.size}&to=${to.size}`,
              admin,
            );
            assert.equal(answer.status, 200, answer.text);
            const proof = (JSON.parse(answer.text) as { proof: string[] }).proof.map((hash) =>
              Buffer.from(hash, 'base64'),
            );
            assert.ok(
              verifyConsistency(from.size, to.size, from.root, to.root, proof),
              `${what}: checkpoint ${to.size} extends checkpoint ${from.size}`,
            );
            proofs++;
          }
          summary.push(
            `${logKey(tenant, kind)}: ${log.records.length} records, ${log.transitionCount} transitions, ${n} leaves, ` +
              `${checkpoints.length} checkpoints (sizes ${checkpoints.map((c) => c.tree_size).join(' ')}), ${proofs} consistency proofs`,
          );
        }

        const noted = new Map<string, number>();
        for (const { tenant, kind } of logs) {
          const [row] = await raw.query<{ count: number }>(
            'SELECT count(*) AS count FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2',
            [tenant, kind],
          );
          noted.set(logKey(tenant, kind), row?.count ?? 0);
        }

        // Both stop cleanly.
        const ended = await Promise.all(servers.map((server) => stopCli(server)));
        ended.forEach((outcome, n) => {
          assert.equal(
            outcome.code,
            0,
            `server ${n === 0 ? 'A' : 'B'} exited with ${String(outcome.code ?? outcome.signal)}:\n${outcome.stderr}`,
          );
        });
        const outputs = servers.map((server) => server.output());
        servers.length = 0;
        outputs.forEach((output, n) => {
          assert.doesNotMatch(
            output,
            /refused to sign a checkpoint/,
            'no process refused to sign a checkpoint',
          );
          const logged = troubleIn(output);
          summary.push(
            `server ${n === 0 ? 'A' : 'B'} logged ${logged.size === 0 ? 'no warning or error' : [...logged].map(([message, count]) => `${count}× ${message}`).join('; ')}`,
          );
        });

        // No data log grew or was signed again after the checks; the logs are exactly the ones written.
        const present = await raw.query<{ tenant_id: string; kind: string }>(
          'SELECT tenant_id, kind FROM integrity_logs ORDER BY tenant_id, kind',
        );
        const dataLogs = present
          .filter((log) => log.kind !== 'access-log')
          .map((log) => logKey(log.tenant_id, log.kind));
        assert.deepEqual(
          dataLogs,
          logs.map((log) => logKey(log.tenant, log.kind)).sort(),
          'one log per tenant and kind',
        );
        for (const { tenant, kind } of logs) {
          const [row] = await raw.query<{ count: number }>(
            'SELECT count(*) AS count FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2',
            [tenant, kind],
          );
          assert.equal(
            row?.count,
            noted.get(logKey(tenant, kind)),
            `${logKey(tenant, kind)}: no checkpoint after the checks`,
          );
        }
        // The admins' reads are access logs of their tenants: numbered the same way, each row at most once.
        for (const { tenant_id: tenant } of present.filter((log) => log.kind === 'access-log')) {
          const [state] = await raw.query<{ assigned: number; tree_size: number; root: Buffer }>(
            "SELECT assigned, tree_size, root FROM integrity_logs WHERE tenant_id = $1 AND kind = 'access-log'",
            [tenant],
          );
          const indexes = await raw.query<{ leaf_index: number }>(
            "SELECT leaf_index FROM integrity_leaves WHERE tenant_id = $1 AND kind = 'access-log' ORDER BY leaf_index",
            [tenant],
          );
          assert.deepEqual(
            indexes.map((row) => row.leaf_index),
            indexes.map((_, n) => n),
            `access log of ${tenant}`,
          );
          assert.ok(
            state !== undefined && state.assigned === indexes.length && state.tree_size <= state.assigned,
          );
          const leaves = await expectedLeaves(raw, tenant, 'access-log');
          assert.equal(
            state.root.toString('hex'),
            rootOf(leaves.slice(0, state.tree_size)),
            `access log of ${tenant}`,
          );
          summary.push(
            `${logKey(tenant, 'access-log')}: ${indexes.length} leaves, ${state.tree_size} hashed`,
          );
        }

        t.diagnostic(
          `${SEED === Number(process.env.SEALOG_TWO_PROCESS_SEED) ? 'given' : 'random'} seed ${SEED}; ` +
            `${batches.length} batches in ${figures.batchRequests} requests (${figures.recordsSent} records sent, ` +
            `${figures.duplicates} answered as duplicates); ${figures.receipts} receipts (${figures.receiptsAnswered200} answered 200, ` +
            `${figures.receiptsAnswered409} 409); ${figures.checkpointPosts} checkpoint POSTs, ${figures.checkpointsCreatedByPost} signed by them`,
        );
        for (const line of summary) t.diagnostic(line);
        t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await raw.close();
      }
    } finally {
      // A failure leaves its servers running: they must not outlive the test or hold the schema.
      for (const server of servers) {
        if (server.child.exitCode === null && server.child.signalCode === null) {
          killGroup(server.child.pid);
          await server.done.catch(() => undefined);
        }
      }
      await schema.drop();
    }
  },
);
