/**
 * Writes forwarded from a process that only reads (a worker of WORKERS) to the one that holds the
 * SQLite writer (the primary), as src/cluster/ wires them but over an in-process channel that
 * clones each message as IPC does: the batch crosses as bytes, is stored once, and its commit is
 * published on the primary's seam as counts per tenant, or as rows when a subscriber needs them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AppendedRows, CommitSubscriber } from '../../src/domain/after-commit.js';
import type { WriteChannel } from '../../src/storage/sqlite/engine/forwarded-writer.js';
import { toWireError, type WriteReply } from '../../src/storage/sqlite/engine/pending-writes.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { communicationLog, operateLog } from './store-contract.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealog-forwarded-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A channel to `primary` that clones each request and reply, as the cluster's IPC does. */
function channelTo(primary: SqliteStore): WriteChannel {
  let listener: (reply: WriteReply) => void = () => undefined;
  return {
    send(request) {
      const received = structuredClone(request);
      primary.serveWrite(received).then(
        (value) => {
          listener(structuredClone({ id: received.id, value }));
        },
        (error: unknown) => {
          listener({ id: received.id, error: toWireError(error) });
        },
      );
    },
    listen(onReply) {
      listener = onReply;
    },
  };
}

/** Records every notification it hears; `rows` says whether it asks for rows or counts. */
function recorder(rows: boolean): { heard: AppendedRows[]; subscribe: (store: SqliteStore) => void } {
  const heard: AppendedRows[] = [];
  const subscriber: CommitSubscriber = {
    name: `recorder-${String(rows)}`,
    appended: (batch) => {
      heard.push(batch);
      return Promise.resolve();
    },
    catchUp: () => Promise.resolve(),
  };
  return {
    heard,
    subscribe: (store) => {
      store.afterCommit.subscribe(subscriber, { capacityRows: 100_000, overflow: 'wait', rows });
    },
  };
}

async function pair(
  name: string,
): Promise<{ primary: SqliteStore; worker: SqliteStore; close: () => Promise<void> }> {
  const path = join(dir, `${name}.db`);
  const primary = new SqliteStore(path);
  await primary.migrate();
  const worker = new SqliteStore(path, { writeChannel: channelTo(primary) });
  await worker.migrate();
  return {
    primary,
    worker,
    close: async () => {
      await worker.close();
      await primary.close();
    },
  };
}

test("a worker's batch is stored once and published on the primary's seam as counts per tenant", async () => {
  const { primary, worker, close } = await pair('counts');
  const counts = recorder(false);
  counts.subscribe(primary);
  try {
    const batch = [
      ...Array.from({ length: 3 }, (_, i) => operateLog({ id: `a${i}`, tenant_id: 'tnt_a' })),
      ...Array.from({ length: 2 }, (_, i) => operateLog({ id: `b${i}`, tenant_id: 'tnt_b' })),
    ];
    const first = await worker.operateLogs.insertMany(batch);
    assert.deepEqual(first.duplicates, []);
    // Sent again: nothing new is stored, and nothing is published.
    const again = await worker.operateLogs.insertMany(batch);
    assert.equal(again.duplicates.length, 5);
    await waitFor('the seam to deliver the counts', () => counts.heard.length === 2);
    assert.deepEqual(
      counts.heard.map(({ table, tenantId, count, rows }) => [table.table, tenantId, count, rows.length]),
      [
        ['operate_logs', 'tnt_a', 3, 0],
        ['operate_logs', 'tnt_b', 2, 0],
      ],
    );
    const read = await worker.operateLogs.page({ tenantId: 'tnt_a' }, undefined, 10);
    assert.equal(read.length, 3);
  } finally {
    await close();
  }
});

test('with a subscriber that needs rows, the primary publishes the rows themselves', async () => {
  const { primary, worker, close } = await pair('rows');
  const rows = recorder(true);
  rows.subscribe(primary);
  try {
    await worker.communicationLogs.insertMany([
      communicationLog({ id: 'c1', tenant_id: 'tnt_a' }),
      communicationLog({ id: 'c2', tenant_id: 'tnt_a' }),
    ]);
    await waitFor('the seam to deliver the rows', () => rows.heard.length === 1);
    assert.deepEqual(
      rows.heard[0]?.rows.map((row) => row.id),
      ['c1', 'c2'],
    );
  } finally {
    await close();
  }
});

test('a subscriber that needs rows and subscribes while a batch is in flight hears its rows', async () => {
  const { primary, worker, close } = await pair('late');
  const rows = recorder(true);
  try {
    const written = worker.operateLogs.insertMany([operateLog({ id: 'l1' }), operateLog({ id: 'l2' })]);
    rows.subscribe(primary);
    await written;
    await waitFor('the seam to deliver the rows', () => rows.heard.length === 1);
    assert.deepEqual(
      rows.heard[0]?.rows.map((row) => row.id),
      ['l1', 'l2'],
    );
  } finally {
    await close();
  }
});
