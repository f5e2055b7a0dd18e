/**
 * The rows of integrity-two-processes.test.ts's schema as stored, read on a connection of the
 * test's own: each log's records and transitions, checked to be one leaf each in order, and each
 * communication log's history one forward chain.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { TABLE_OF_KIND, withoutColumns, type RawStore } from '../integrity/log-rebuild.js';
import { logKey, type Status } from './two-process-workload.js';

/** Raw reads of the schema on a connection of the test's own (bigint columns read as numbers). */
export interface RawPostgres extends RawStore {
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function rawPostgres(url: string): Promise<RawPostgres> {
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

export interface StoredCheckpointRow {
  tree_size: number;
  root: Buffer;
  note: string;
}

/** The rows and transitions of one log as stored, and its leaves and checkpoints. */
export interface LogFacts {
  tenant: string;
  kind: string;
  records: string[];
  /** Per communication log, its transitions' statuses in seq order. */
  transitions: Map<string, { from_status: string; to_status: string }[]>;
  transitionCount: number;
}

export async function factsOf(raw: RawPostgres, tenant: string, kind: string): Promise<LogFacts> {
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
export function troubleIn(output: string): Map<string, number> {
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
export async function checkLeaves(raw: RawPostgres, facts: LogFacts, reproduce: string): Promise<number> {
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
export async function checkHistories(
  raw: RawPostgres,
  facts: LogFacts,
  sent: Map<string, Status | undefined>,
) {
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
