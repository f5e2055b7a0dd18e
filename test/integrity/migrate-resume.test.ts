/**
 * `sealog migrate` on a store of an older version, killed with SIGKILL part-way through sealing its
 * rows, then again part-way through numbering them (in the middle of a kind), then run to the end,
 * leaves the store exactly as one uninterrupted migration of the same rows leaves another: every
 * row sealed once (its fields open to what was stored), every record and transition one leaf,
 * `sealog verify --json` clean, and every log's leaves in the same order — the documented
 * (time, id) order, each communication log followed by its history — so the same root up to the
 * envelopes (their nonces and subject keys are random: the same rows never seal to the same bytes
 * twice). On SQLite, and on PostgreSQL with TEST_DATABASE_URL. No clock: each kill comes when the
 * database shows the migration part-way; a run that ends before it is caught is repeated with
 * twice the rows, and the test fails unless one is caught in both phases.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { LOG_TABLES } from '../../src/kinds/log-tables.js';
import type { KeysetPosition } from '../../src/domain/log-rows.js';
import { runCli, startCli, type CliOutcome } from '../helpers/cli-process.js';
import { leafCount, legacyRows, recordCount, type LegacyRows } from '../helpers/legacy-store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres-schema.js';
import { waitFor } from '../helpers/wait-for.js';
import { expectedLeaves, rootOf } from './log-rebuild.js';
import {
  postgresSubject,
  sqliteSubject,
  type MigrationState,
  type MigrationSubject,
  type StoreSnapshot,
} from './migration-subjects.js';

const SEED = process.env.SEALOG_MIGRATE_SEED ? Number(process.env.SEALOG_MIGRATE_SEED) : randomInt(2 ** 31);
const reproduce = `(seed ${SEED}: SEALOG_MIGRATE_SEED=${SEED} repeats the rows)`;
const TENANTS = ['tnt_east', 'tnt_west', 'tnt_north'];
/**
 * Records at first: operate logs (the cheapest to seal) take two numbering batches (5000 each), so
 * that a kill can come between them; sealing goes 1000 rows a batch.
 */
const FIRST_COUNTS = { communication: 2000, mfa: 1500, operate: 10_000, access: 1500 };
const ATTEMPTS = 3;
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;

/** What one kill found: the state it was sent in, and the state the kill left. */
interface Kill {
  seen: MigrationState;
  left: MigrationState;
}

/**
 * Runs `sealog migrate` on `subject` and SIGKILLs it once `partWay` holds of the database; the kill
 * counts when the process died of it and the state it left is part-way still (`stillPartWay`).
 * undefined: the migration ended before it could be caught.
 */
async function killPartWay(
  subject: MigrationSubject,
  what: string,
  partWay: (state: MigrationState) => boolean,
  stillPartWay: (state: MigrationState) => boolean,
): Promise<Kill | undefined> {
  const cli = startCli(['migrate'], subject.env);
  let ended: CliOutcome | undefined;
  void cli.done.then((outcome) => (ended = outcome));
  let seen: MigrationState | undefined;
  try {
    await waitFor(
      `sealog migrate part-way through ${what}`,
      async () => {
        if (ended !== undefined) return true;
        const state = await subject.state();
        if (partWay(state)) seen = state;
        return seen !== undefined;
      },
      { intervalMs: 5 },
    );
  } finally {
    cli.child.kill('SIGKILL');
  }
  const outcome = await cli.done;
  if (seen === undefined || outcome.signal !== 'SIGKILL') {
    assert.equal(outcome.code, 0, `sealog migrate failed:\n${outcome.stderr}`);
    return undefined;
  }
  const left = await subject.state();
  return stillPartWay(left) ? { seen, left } : undefined;
}

const key = (...parts: unknown[]) => parts.map(String).join('/');
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Every log's leaf names as docs/integrity.md orders an upgraded store's rows: by (time, id), history after its log. */
function documentedOrder(rows: LegacyRows): Map<string, string[]> {
  const transitions = new Map<string, number>();
  for (const step of rows.communication_log_transitions) {
    const log = key(step.tenant_id, step.log_id);
    transitions.set(log, (transitions.get(log) ?? 0) + 1);
  }
  const order = new Map<string, string[]>();
  for (const table of LOG_TABLES) {
    const records = [...rows[table.table as keyof LegacyRows]].sort(
      (a, b) =>
        Number(a[table.timeColumn]) - Number(b[table.timeColumn]) || byBytes(String(a.id), String(b.id)),
    );
    for (const record of records) {
      const log = key(record.tenant_id, table.kind);
      const names = order.get(log) ?? [];
      order.set(log, names);
      names.push(`${String(record.id)}/0`);
      const count = transitions.get(key(record.tenant_id, record.id)) ?? 0;
      for (let k = 1; k <= count; k++) names.push(`${String(record.id)}/${k}`);
    }
  }
  return order;
}

/** `sealog verify --json` on the store: nothing found, every leaf read, nothing pending. */
async function verifyClean(subject: MigrationSubject, leaves: number, what: string): Promise<void> {
  const outcome = await runCli(['verify', '--json'], subject.env);
  assert.equal(
    outcome.code,
    0,
    `${what}: sealog verify found something:\n${outcome.stdout}${outcome.stderr}`,
  );
  const lines = outcome.stdout.trim().split('\n');
  const { summary } = JSON.parse(lines[lines.length - 1] ?? '{}') as {
    summary: { findings: number; leaves: number; pending: number };
  };
  assert.deepEqual(
    { findings: summary.findings, leaves: summary.leaves, pending: summary.pending },
    { findings: 0, leaves, pending: 0 },
    what,
  );
}

/** Every row and transition, opened by the store, is what the older store held: sealed once, not twice. */
async function checkSealedOnce(subject: MigrationSubject, rows: LegacyRows, what: string): Promise<void> {
  const store = subject.open();
  try {
    for (const table of LOG_TABLES) {
      const expected = new Map(
        rows[table.table as keyof LegacyRows].map((row) => [key(row.tenant_id, row.id), row]),
      );
      let after: KeysetPosition | undefined;
      let seen = 0;
      for (;;) {
        const page = (await store.rows(table).page([], after, 1000)) as unknown as Record<string, unknown>[];
        if (page.length === 0) break;
        for (const row of page) {
          const stored = expected.get(key(row.tenant_id, row.id));
          assert.ok(
            stored !== undefined,
            `${what}: ${table.table} ${key(row.tenant_id, row.id)} is a row nobody stored`,
          );
          const opened = Object.fromEntries(Object.keys(stored).map((column) => [column, row[column]]));
          assert.deepEqual(
            opened,
            stored,
            `${what}: ${table.table} ${key(row.tenant_id, row.id)} opens to what was stored`,
          );
          seen++;
        }
        const last = page[page.length - 1] ?? {};
        after = { time: Number(last[table.timeColumn]), id: String(last.id) };
      }
      assert.equal(seen, expected.size, `${what}: every ${table.table} row`);
    }
    const histories = new Map<string, Record<string, unknown>[]>();
    for (const step of rows.communication_log_transitions) {
      const log = key(step.tenant_id, step.log_id);
      histories.set(log, [...(histories.get(log) ?? []), step]);
    }
    for (const [log, steps] of histories) {
      const [tenant = '', id = ''] = log.split('/');
      const opened = await store.communicationLogs.listTransitions(tenant, id);
      assert.deepEqual(
        opened.map((step) => {
          const fields = step as unknown as Record<string, unknown>;
          return Object.fromEntries(Object.keys(steps[0] ?? {}).map((column) => [column, fields[column]]));
        }),
        steps,
        `${what}: the history of ${log} opens to what was stored`,
      );
    }
  } finally {
    await store.close();
  }
}

/** A leaf with each envelope replaced by a mark: what two sealings of the same rows have in common. */
const withoutEnvelopes = (leaf: string) => leaf.replace(/"s1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"/g, '"s1.*"');

/** Each log of `snapshot`: its leaves recomputed from the rows (independently of src/), its stored root checked. */
async function logsOf(snapshot: StoreSnapshot, what: string): Promise<Map<string, string[]>> {
  const logs = new Map<string, string[]>();
  for (const [log, state] of snapshot.logs) {
    const [tenant = '', kind = ''] = log.split('/');
    const leaves = await expectedLeaves(snapshot, tenant, kind);
    assert.equal(leaves.length, state.assigned, `${what}: ${log} has a leaf for each of its leaf rows`);
    assert.equal(
      state.root.toString('hex'),
      rootOf(leaves.slice(0, state.tree_size)),
      `${what}: ${log}'s stored root is the root of its first ${state.tree_size} leaves`,
    );
    logs.set(log, leaves);
  }
  return logs;
}

async function migrateAfterKills(
  t: TestContext,
  make: (rows: LegacyRows) => Promise<MigrationSubject>,
): Promise<void> {
  for (let attempt = 1, scale = 1; attempt <= ATTEMPTS; attempt++, scale *= 2) {
    const counts = Object.fromEntries(
      Object.entries(FIRST_COUNTS).map(([kind, count]) => [kind, count * scale]),
    ) as typeof FIRST_COUNTS;
    const rows = legacyRows(SEED, counts, TENANTS);
    const records = recordCount(rows);
    const leaves = leafCount(rows);
    const leavesOfKind = new Map(
      LOG_TABLES.map((table) => [
        table.kind,
        rows[table.table as keyof LegacyRows].length +
          (table.kind === 'communication-log' ? rows.communication_log_transitions.length : 0),
      ]),
    );
    const interrupted = await make(rows);
    const reference = await make(rows);
    try {
      const sealing = await killPartWay(
        interrupted,
        'sealing',
        (state) => state.sealed !== undefined && state.sealed.done > 0 && state.sealed.left > 0,
        (state) => (state.sealed?.left ?? 0) > 0 && state.leaves === 0,
      );
      /** The kinds numbered in part: a position stored, and leaves left to number. */
      const midway = (state: MigrationState) =>
        state.kindsMidway.filter(
          (kind) => (state.leavesByKind.get(kind) ?? 0) < (leavesOfKind.get(kind) ?? 0),
        );
      const numbering =
        sealing &&
        (await killPartWay(
          interrupted,
          'numbering',
          (state) => midway(state).length > 0,
          (state) => state.sealed?.left === 0 && state.leaves > 0 && state.leaves < leaves,
        ));
      if (sealing === undefined || numbering === undefined) {
        t.diagnostic(
          `attempt ${attempt}: ${records} records migrated before a kill could catch them; twice as many next`,
        );
        continue;
      }
      t.diagnostic(
        `attempt ${attempt}, ${records} records (${leaves} leaves) ${reproduce}: killed with ${sealing.left.sealed?.done} ` +
          `rows sealed and ${sealing.left.sealed?.left} left; again with ${numbering.left.leaves} leaves numbered ` +
          `(seen midway through ${midway(numbering.seen).join(', ')}; ` +
          `left midway through ${midway(numbering.left).join(', ') || 'no kind'})`,
      );

      const finished = await runCli(['migrate'], interrupted.env);
      assert.equal(finished.code, 0, finished.stderr);
      const uninterrupted = await runCli(['migrate'], reference.env);
      assert.equal(uninterrupted.code, 0, uninterrupted.stderr);

      const order = documentedOrder(rows);
      const recomputed: Map<string, string[]>[] = [];
      for (const [subject, what] of [
        [interrupted, 'killed twice'],
        [reference, 'uninterrupted'],
      ] as const) {
        await verifyClean(subject, leaves, `${what} ${reproduce}`);
        await checkSealedOnce(subject, rows, `${what} ${reproduce}`);
        const snapshot = await subject.snapshot();
        // Every record and transition exactly one leaf, in the documented order.
        assert.deepEqual(
          [...snapshot.leafNames.keys()].sort(),
          [...order.keys()].sort(),
          `${what}: the logs`,
        );
        for (const [log, names] of order) {
          assert.deepEqual(snapshot.leafNames.get(log), names, `${what}: the leaves of ${log} ${reproduce}`);
        }
        assert.ok(
          [...snapshot.rows.values()].every(
            (row) => typeof row.sealed === 'string' && row.sealed.startsWith('s1.'),
          ),
          `${what}: every row has its envelope`,
        );
        recomputed.push(await logsOf(snapshot, what));
      }
      const [killed, whole] = recomputed as [Map<string, string[]>, Map<string, string[]>];
      for (const [log, leavesOfLog] of killed) {
        const other = whole.get(log) ?? [];
        assert.equal(
          rootOf(leavesOfLog.map(withoutEnvelopes)),
          rootOf(other.map(withoutEnvelopes)),
          `${log}: the same root as the uninterrupted migration's, envelopes aside ${reproduce}`,
        );
        assert.notEqual(rootOf(leavesOfLog), rootOf(other), `${log}: sealed anew, the envelopes differ`);
      }
      t.diagnostic(`${killed.size} logs: the same leaves in the same order after the kills as without them`);
      return;
    } finally {
      await interrupted.dispose();
      await reference.dispose();
    }
  }
  assert.fail(`no attempt caught sealog migrate part-way through both sealing and numbering ${reproduce}`);
}

test('SQLite: sealog migrate killed while sealing, then while numbering, ends as an uninterrupted one', (t) =>
  migrateAfterKills(t, (rows) => Promise.resolve(sqliteSubject(rows, DATA_KEY))));

test(
  'PostgreSQL: sealog migrate killed while sealing, then while numbering, ends as an uninterrupted one',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  (t) => migrateAfterKills(t, (rows) => postgresSubject(rows, DATA_KEY)),
);
