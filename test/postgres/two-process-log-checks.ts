/**
 * The end state integrity-two-processes.test.ts checks of each log, from the rows as stored (the
 * test's own SQL and log-rebuild.ts) and from both servers' answers, proofs checked by the
 * independent RFC 9162 verifier.
 */
import assert from 'node:assert/strict';
import { hashLeaf, merkleTreeHash, verifyConsistency } from '../helpers/independent-merkle.js';
import { checkpointBody, verifiesIndependently } from '../helpers/independent-note.js';
import { expectedLeaves, rootOf } from '../integrity/log-rebuild.js';
import { call } from './two-process-clients.js';
import {
  checkHistories,
  checkLeaves,
  type LogFacts,
  type RawPostgres,
  type StoredCheckpointRow,
} from './two-process-facts.js';
import { logKey, type Side, type Status } from './two-process-workload.js';

/** What checking a log needs: the raw reads, both servers, an admin of the log's tenant, the key. */
export interface LogCheck {
  raw: RawPostgres;
  urls: Record<Side, string>;
  admin: string;
  /** SIGNING_KEY's raw public key, as a verifier key carries it (after its 0x01 type byte). */
  publicKey: Buffer;
  /** How to repeat the run, for failure messages. */
  reproduce: string;
}

/**
 * One (tenant, kind) log once every write is answered and a checkpoint covers it: every record and
 * transition once, leaves 0 … n−1 (checkLeaves), histories forward (checkHistories), the stored
 * root the root of the rows, both servers naming the configured key and serving the recomputed
 * leaves, and every checkpoint signed by the key, the root of its prefix, consistent with the next
 * by a proof from either server. Returns a line for the diagnostics.
 */
export async function checkLog(
  { raw, urls, admin, publicKey, reproduce }: LogCheck,
  log: LogFacts,
  sent: Map<string, Status | undefined>,
): Promise<string> {
  const { tenant, kind } = log;
  const what = `${logKey(tenant, kind)} ${reproduce}`;
  const n = await checkLeaves(raw, log, reproduce);
  await checkHistories(raw, log, sent);

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
  assert.equal(state.root.toString('hex'), rootOf(leaves), `${what}: the stored root is the rows' root`);

  // Both servers name the same key; the leaves they serve are the leaves recomputed from the rows.
  const keys = await Promise.all(
    (['A', 'B'] as const).map(async (side) => {
      const answer = await call(urls[side], 'GET', `/v1/integrity/${kind}/key`, admin);
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
    urls.B,
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
  assert.equal(checkpoints[checkpoints.length - 1]?.tree_size, n, `${what}: the latest covers every leaf`);
  const latest = await call(urls.A, 'GET', `/v1/integrity/${kind}/checkpoint`, admin);
  assert.equal(latest.text, checkpoints[checkpoints.length - 1]?.note, `${what}: GET answers the latest`);
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
      urls[side],
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
  return (
    `${logKey(tenant, kind)}: ${log.records.length} records, ${log.transitionCount} transitions, ${n} leaves, ` +
    `${checkpoints.length} checkpoints (sizes ${checkpoints.map((c) => c.tree_size).join(' ')}), ${proofs} consistency proofs`
  );
}

/**
 * The admins' reads are access logs of their tenants, numbered the same way: each row at most once,
 * leaves 0 … n−1, the stored root the root of the first tree_size leaves. Returns a line per log.
 */
export async function checkAccessLogs(raw: RawPostgres, tenants: readonly string[]): Promise<string[]> {
  const summary: string[] = [];
  for (const tenant of tenants) {
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
    assert.ok(state !== undefined && state.assigned === indexes.length && state.tree_size <= state.assigned);
    const leaves = await expectedLeaves(raw, tenant, 'access-log');
    assert.equal(
      state.root.toString('hex'),
      rootOf(leaves.slice(0, state.tree_size)),
      `access log of ${tenant}`,
    );
    summary.push(`${logKey(tenant, 'access-log')}: ${indexes.length} leaves, ${state.tree_size} hashed`);
  }
  return summary;
}
