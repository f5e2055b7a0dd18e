/**
 * PostgreSQL's appendTrees, the sequencer's one transaction for many logs: every log grows as the
 * in-memory store grows it (same sizes, roots and tiles), a stale log loses its compare-and-set
 * alone, and a step that breaks a log's invariants changes no log at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import { edgeTiles, TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';
import type { IntegrityStore, LogId, TreeStep } from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../helpers/postgres-schema.js';

const LOGS: readonly LogId[] = [
  { tenantId: 'tenant-b', kind: 'operate-log' },
  { tenantId: 'tenant-a', kind: 'communication-log' },
  { tenantId: 'tenant-a', kind: 'operate-log' },
];

/** `count` distinct leaf hashes for `log`, from leaf `first` on. */
function leaves(log: LogId, first: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) =>
    leafHash(Buffer.from(`${log.tenantId}/${log.kind}/${first + n}`)),
  );
}

/** The state and right-edge tiles of `log` in `store`, for comparing two stores. */
async function snapshot(store: IntegrityStore, log: LogId): Promise<unknown> {
  const state = await store.logState(log);
  const tiles = await store.readTiles(log, edgeTiles(state.treeSize));
  return { ...state, root: state.root.toString('hex'), tiles: tiles.map((tile) => tile?.toString('hex')) };
}

test(
  'PostgreSQL: appendTrees grows many logs in one step, each a compare-and-set, all or nothing on a broken invariant',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  async () => {
    const schema = await createTestSchema();
    const store = new PostgresStore(
      { url: schema.url, poolSize: 2, statementTimeoutMs: 30_000, unavailableTimeoutMs: 5_000 },
      Date.now,
      { sequencing: false },
    );
    const raw = new pg.Client({ connectionString: schema.url });
    try {
      await store.migrate();
      await raw.connect();
      const memory = new MemoryIntegrityStore();
      // Numbered leaves as the sequencer's numbering leaves them: only `assigned` matters here.
      for (const [position, log] of LOGS.entries()) {
        const assigned = 700 + position * 300;
        memory.assignLeaves(log, assigned);
        await raw.query(
          "INSERT INTO integrity_logs (tenant_id, kind, assigned, tree_size, root) VALUES ($1, $2, $3, 0, sha256(''))",
          [log.tenantId, log.kind, assigned],
        );
      }
      const appenders = new Map(LOGS.map((log) => [log, TreeAppender.empty()]));
      const grow = (log: LogId, count: number) => {
        const appender = appenders.get(log) as TreeAppender;
        return { log, ...appender.append(leaves(log, appender.size, count)) };
      };

      // Three logs at once, across tiles (300 and 600 leaves cross a 256-leaf tile).
      const first = [grow(LOGS[0] as LogId, 300), grow(LOGS[1] as LogId, 600), grow(LOGS[2] as LogId, 5)];
      assert.deepEqual(await store.integrity.appendTrees(first), [true, true, true]);
      for (const step of first) {
        assert.equal(await memory.appendTree(step.log, step.update), true);
        appenders.set(step.log, step.next);
      }
      for (const log of LOGS)
        assert.deepEqual(await snapshot(store.integrity, log), await snapshot(memory, log));

      // A step computed from a stale size loses alone; the others grow.
      const stale: TreeStep = {
        log: LOGS[0] as LogId,
        update: TreeAppender.empty().append(leaves(LOGS[0] as LogId, 0, 2)).update,
      };
      const fresh = grow(LOGS[2] as LogId, 300);
      assert.deepEqual(await store.integrity.appendTrees([stale, fresh]), [false, true]);
      assert.equal(await memory.appendTree(fresh.log, fresh.update), true);
      appenders.set(fresh.log, fresh.next);
      for (const log of LOGS)
        assert.deepEqual(await snapshot(store.integrity, log), await snapshot(memory, log));

      // Beyond the numbered leaves, or rewriting a stored hash: refused, and no log of the step moves.
      const before = await Promise.all(LOGS.map((log) => snapshot(store.integrity, log)));
      const good = grow(LOGS[1] as LogId, 10);
      const beyond = grow(LOGS[0] as LogId, 2000);
      await assert.rejects(
        store.integrity.appendTrees([good, beyond]),
        /cannot grow from 300 to 2300 leaves with 700 numbered/,
      );
      const next = grow(LOGS[2] as LogId, 10);
      const forged = next.update.tiles.map((tile) => ({ ...tile, hashes: Buffer.from(tile.hashes) }));
      const forgedTile = forged[0] as { hashes: Buffer };
      forgedTile.hashes[0] = (forgedTile.hashes[0] ?? 0) ^ 1;
      await assert.rejects(
        store.integrity.appendTrees([good, { log: next.log, update: { ...next.update, tiles: forged } }]),
        /holds \d+ hashes, not the \d+ its growth starts from/,
      );
      await assert.rejects(store.integrity.appendTrees([good, good]), /at most once/);
      assert.deepEqual(await Promise.all(LOGS.map((log) => snapshot(store.integrity, log))), before);

      // The same steps, unbroken, go through.
      assert.deepEqual(await store.integrity.appendTrees([good, next]), [true, true]);
      for (const step of [good, next]) assert.equal(await memory.appendTree(step.log, step.update), true);
      for (const log of LOGS)
        assert.deepEqual(await snapshot(store.integrity, log), await snapshot(memory, log));
    } finally {
      await raw.end().catch(() => undefined);
      await store.close();
      await schema.drop();
    }
  },
);
