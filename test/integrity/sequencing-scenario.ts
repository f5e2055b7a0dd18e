/**
 * One scenario run on both stores: writes of several kinds and tenants, out of id order, with
 * duplicates and status transitions; then every log's leaves are in commit order and its stored
 * root is the RFC 6962 root of the leaves recomputed from the rows (log-rebuild.ts).
 */
import assert from 'node:assert/strict';
import type { AuditStore } from '../../src/domain/audit-store.js';
import type { IntegrityStore } from '../../src/integrity/sequencing/integrity-store.js';
import { communicationLog, mfaLog, operateLog } from '../storage/store-contract.js';
import { waitFor } from '../helpers/wait-for.js';
import { expectedLeaves, rootOf, type RawStore } from './log-rebuild.js';

export async function runSequencingScenario(
  store: AuditStore & { integrity: IntegrityStore },
  raw: RawStore,
): Promise<void> {
  await store.operateLogs.insertMany([
    operateLog({ id: 'op_c' }),
    operateLog({ id: 'op_a', tenant_id: 'tnt_b' }),
    operateLog({ id: 'op_b' }),
  ]);
  await store.operateLogs.insertMany([operateLog({ id: 'op_a' }), operateLog({ id: 'op_b' })]); // op_b again: no leaf
  await store.mfaConfigAuditLogs.insertMany([mfaLog({ id: 'mfa_2' }), mfaLog({ id: 'mfa_1' })]);
  await store.communicationLogs.insertMany([
    communicationLog({ id: 'log_1' }),
    communicationLog({ id: 'log_2' }),
  ]);
  const sent = {
    tenant_id: 'tnt_a',
    log_id: 'log_1',
    from_status: 'pending',
    to_status: 'sent',
    error: null,
    response: 'queued',
    sent_at: 1_776_247_300_000,
    changed_at: 1_776_247_300_000,
  } as const;
  assert.equal(await store.communicationLogs.applyTransition(sent), true);
  const failed = {
    ...sent,
    from_status: 'sent',
    to_status: 'failed',
    error: 'unreachable',
    response: null,
    sent_at: null,
    changed_at: sent.changed_at + 1,
  } as const;
  assert.equal(await store.communicationLogs.applyTransition(failed), true);
  await store.communicationLogs.insertMany([communicationLog({ id: 'log_0' })]);

  await waitFor('every leaf numbered and hashed', async () => {
    const logs = await store.integrity.logStates();
    return (
      logs.length === 4 &&
      logs.every((log) => log.treeSize === log.assigned) &&
      logs.reduce((sum, log) => sum + log.assigned, 0) === 11
    );
  });
  const ids = async (tenant: string, kind: string) =>
    (await raw.leaves(tenant, kind)).map((leaf) => `${leaf.record_id}/${leaf.transition}`);
  assert.deepEqual(await ids('tnt_a', 'operate-log'), ['op_b/0', 'op_c/0', 'op_a/0']);
  assert.deepEqual(await ids('tnt_b', 'operate-log'), ['op_a/0']);
  assert.deepEqual(await ids('tnt_a', 'mfa-config-audit-log'), ['mfa_1/0', 'mfa_2/0']);
  assert.deepEqual(await ids('tnt_a', 'communication-log'), [
    'log_1/0',
    'log_2/0',
    'log_1/1',
    'log_1/2',
    'log_0/0',
  ]);
  for (const log of await store.integrity.logStates()) {
    const leaves = await expectedLeaves(raw, log.tenantId, log.kind);
    assert.equal(leaves.length, log.assigned);
    assert.equal(log.root.toString('hex'), rootOf(leaves), `${log.tenantId}/${log.kind}`);
  }

  // Several logs read at once (a stream's batch) read as each one alone: op_a of two tenants stays
  // apart, a communication log keeps its whole history in both of its ranges, empty ranges hold.
  const ranges = (await store.integrity.logStates()).flatMap((log) => [
    { log, start: 0, end: 1 },
    { log, start: 1, end: log.assigned },
    { log, start: log.assigned, end: log.assigned },
  ]);
  const alone = [];
  for (const { log, start, end } of ranges) alone.push(await store.integrity.leafWindow(log, start, end));
  const together = await store.integrity.leafWindows(ranges);
  assert.deepEqual(together, alone);
  assert.equal(together.flatMap((window) => window.locations).length, 11);
}
