/**
 * The tree builder over many logs: it grows every log to its numbered leaves in steps of several
 * logs, each tree's root the independent RFC 6962 root of its leaves; two builders racing never
 * fork a log; and a log whose rows cannot be read holds none of the others back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissingLeafRowError } from '../../src/integrity/leaves/leaf-builder.js';
import type { LeafRange, LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { TreeBuilder, type LeafReader } from '../../src/integrity/sequencing/tree-builder.js';
import { hashLeaf, merkleTreeHash } from '../helpers/independent-merkle.js';

/** Leaf `index` of `log`: distinct bytes per log and index. */
function leafOf(log: LogId, index: number): Buffer {
  return Buffer.from(`${log.tenantId}|${log.kind}|${index}`);
}

/** Reads leaves as leafOf makes them, but none of `broken`'s (as if its rows were removed). */
class ComputedLeaves implements LeafReader {
  readonly ranges: LeafRange[][] = [];

  constructor(private readonly broken?: LogId) {}

  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    if (log.tenantId === this.broken?.tenantId && log.kind === this.broken.kind) {
      return Promise.reject(
        new MissingLeafRowError(log.kind, { leafIndex: start, recordId: 'gone', transition: 0 }),
      );
    }
    return Promise.resolve(Array.from({ length: end - start }, (_, n) => leafOf(log, start + n)));
  }

  leafHashes(ranges: readonly LeafRange[]): Promise<(Buffer[] | undefined)[]> {
    this.ranges.push([...ranges]);
    // Every other log's hashes "stored with the rows", the rest read as bytes: both paths run.
    return Promise.resolve(
      ranges.map((range, position) =>
        position % 2 === 0
          ? undefined
          : Array.from({ length: range.end - range.start }, (_, n) =>
              hashLeaf(leafOf(range.log, range.start + n)),
            ),
      ),
    );
  }
}

/** 30 logs of 1 … 30 · 37 numbered leaves, in `store`. */
function numberedLogs(store: MemoryIntegrityStore): { log: LogId; assigned: number }[] {
  return Array.from({ length: 30 }, (_, n) => {
    const log = {
      tenantId: `tenant-${String(n).padStart(2, '0')}`,
      kind: n % 3 === 0 ? 'access-log' : 'operate-log',
    };
    const assigned = (n + 1) * 37;
    store.assignLeaves(log, assigned);
    return { log, assigned };
  });
}

async function assertGrown(
  store: MemoryIntegrityStore,
  logs: { log: LogId; assigned: number }[],
): Promise<void> {
  for (const { log, assigned } of logs) {
    const state = await store.logState(log);
    assert.equal(state.treeSize, assigned, `${log.tenantId} ${log.kind}`);
    const expected = merkleTreeHash(Array.from({ length: assigned }, (_, n) => hashLeaf(leafOf(log, n))));
    assert.ok(state.root.equals(expected), `${log.tenantId} ${log.kind}: root`);
  }
}

test('catchUp grows every log to its numbered leaves, several logs a step', async () => {
  const store = new MemoryIntegrityStore();
  const logs = numberedLogs(store);
  const reader = new ComputedLeaves();
  // 16 leaves per log and step: each log takes several steps, and a step holds up to 160 leaves.
  const hashed = await new TreeBuilder(store, reader, 16).catchUp();
  assert.equal(
    hashed,
    logs.reduce((sum, { assigned }) => sum + assigned, 0),
  );
  await assertGrown(store, logs);
  const leaves = (ranges: LeafRange[]) => ranges.reduce((sum, range) => sum + range.end - range.start, 0);
  assert.ok(reader.ranges.every((ranges) => leaves(ranges) <= 10 * 16));
  assert.ok(reader.ranges.some((ranges) => ranges.length > 1));
  // More leaves numbered later grow from the kept right edges.
  for (const entry of logs.slice(0, 5)) {
    store.assignLeaves(entry.log, 300);
    entry.assigned += 300;
  }
  assert.equal(await new TreeBuilder(store, reader, 16).catchUp(), 5 * 300);
  await assertGrown(store, logs);
});

test('two builders racing over the same logs never fork one', async () => {
  const store = new MemoryIntegrityStore();
  const logs = numberedLogs(store);
  const hashed = await Promise.all([
    new TreeBuilder(store, new ComputedLeaves(), 16).catchUp(),
    new TreeBuilder(store, new ComputedLeaves(), 50).catchUp(),
  ]);
  // Each leaf was hashed into the stored tree once, by one builder or the other.
  assert.equal(
    hashed[0] + hashed[1],
    logs.reduce((sum, { assigned }) => sum + assigned, 0),
  );
  await assertGrown(store, logs);
});

test('a log whose rows cannot be read holds back none of the others', async () => {
  const store = new MemoryIntegrityStore();
  const logs = numberedLogs(store);
  const broken = logs[4] as { log: LogId; assigned: number };
  await assert.rejects(
    new TreeBuilder(store, new ComputedLeaves(broken.log), 16).catchUp(),
    MissingLeafRowError,
  );
  await assertGrown(
    store,
    logs.filter((entry) => entry !== broken),
  );
  assert.equal((await store.logState(broken.log)).treeSize, 0);
});
