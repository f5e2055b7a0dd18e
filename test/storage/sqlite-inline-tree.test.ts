/**
 * The embedded store's writes hash their own leaves: when a write commits, its log's tree already
 * holds them (no read-back by the TreeBuilder), and the tree is exactly the RFC 6962 tree of the
 * rows as stored, recomputed apart from src/ (log-rebuild.ts). The writer's operations run here on
 * a connection of the test's own, with no sequencer anywhere, so only the write itself can have
 * grown the tree.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteLeafReader } from '../../src/storage/sqlite/integrity/sqlite-leaf-reader.js';
import { writeOperations } from '../../src/storage/sqlite/engine/write-operations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { TreeBuilder } from '../../src/integrity/sequencing/tree-builder.js';
import type { IntegrityStore, LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { storedColumns, type LogRow } from '../../src/kinds/log-table.js';
import { logTableNamed } from '../../src/kinds/log-tables.js';
import type { WriteCommand } from '../../src/storage/sqlite/engine/write-commands.js';
import { generator, operateLog } from '../helpers/log-events.js';
import { expectedLeaves, rootOf } from '../integrity/log-rebuild.js';
import { rawSqlite } from '../integrity/raw-sqlite.js';

const T = Date.UTC(2026, 5, 1);

/** A row of `table` in stored form: `values`, every other stored column null. */
function storedRow(table: string, values: Record<string, unknown>): LogRow {
  const logTable = logTableNamed(table);
  if (logTable === undefined) throw new Error(`no table ${table}`);
  return Object.fromEntries(
    storedColumns(logTable).map(([column]) => [column, values[column] ?? null]),
  ) as unknown as LogRow;
}

const operateRows = (tenant: string, from: number, count: number, seed: number): LogRow[] => {
  const random = generator(seed);
  return Array.from({ length: count }, (_, i) =>
    storedRow('operate_logs', {
      ...operateLog(random, `op_${String(from + i).padStart(5, '0')}`),
      tenant_id: tenant,
    }),
  );
};

const communicationRow = (tenant: string, id: string): LogRow =>
  storedRow('communication_logs', {
    tenant_id: tenant,
    id,
    user_id: 'u1',
    channel: 'sms',
    status: 'pending',
    recipient: '13800000000',
    content: 'code 1234',
    provider: 'aliyun',
    template_id: 'tpl_1',
    created_at: T,
    updated_at: T,
  });

const sent = (tenant: string, id: string, at: number) => ({
  tenant_id: tenant,
  log_id: id,
  from_status: 'pending' as const,
  to_status: 'sent' as const,
  error: null,
  response: 'accepted',
  sent_at: at,
  changed_at: at + 1,
});

/** A store file at the current schema, and the writer's operations on a connection of its own. */
async function openWriter(path: string) {
  const created = new SqliteStore(path);
  await created.migrate();
  await created.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const operations = writeOperations(db);
  const write = (command: WriteCommand) => db.transaction(() => operations(command))();
  const state = (tenant: string, kind: string) =>
    db
      .prepare(
        'SELECT assigned, tree_size, hex(root) AS root FROM integrity_logs WHERE tenant_id = ? AND kind = ?',
      )
      .get(tenant, kind) as { assigned: number; tree_size: number; root: string };
  return { db, operations, write, state };
}

/** The log's state must be a tree of all its leaves, with the root recomputed from its rows. */
async function assertWholeTree(
  path: string,
  state: { assigned: number; tree_size: number; root: string },
  log: LogId,
  leaves: number,
) {
  const raw = rawSqlite(path);
  try {
    assert.equal(state.assigned, leaves, `${log.kind} of ${log.tenantId}: leaves numbered`);
    assert.equal(state.tree_size, leaves, `${log.kind} of ${log.tenantId}: leaves in the tree at commit`);
    assert.equal(state.root.toLowerCase(), rootOf(await expectedLeaves(raw, log.tenantId, log.kind)));
  } finally {
    raw.close();
  }
}

test('SQLite: a write commits its leaves hashed into its log’s tree, across tiles, tenants and transitions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-inline-tree-'));
  const path = join(dir, 'store.db');
  try {
    const { db, write, state } = await openWriter(path);
    try {
      // 300 then 250 rows: the first write fills a tile and starts the next, the second crosses again.
      for (const [from, count] of [
        [0, 300],
        [300, 250],
      ] as const) {
        const t2Leaves = from === 0 ? 3 : 6;
        write({
          type: 'insert-rows',
          table: 'operate_logs',
          rows: [...operateRows('t1', from, count, from + 1), ...operateRows('t2', from, 3, from + 2)],
          subjectKeys: [],
        });
        await assertWholeTree(
          path,
          state('t1', 'operate-log'),
          { tenantId: 't1', kind: 'operate-log' },
          from + count,
        );
        await assertWholeTree(
          path,
          state('t2', 'operate-log'),
          { tenantId: 't2', kind: 'operate-log' },
          t2Leaves,
        );
      }
      write({
        type: 'insert-rows',
        table: 'communication_logs',
        rows: [communicationRow('t1', 'c1'), communicationRow('t1', 'c2')],
        subjectKeys: [],
      });
      assert.equal(
        write({ type: 'apply-transition', transition: sent('t1', 'c2', T + 10), subjectKeys: [] }),
        true,
      );
      await assertWholeTree(
        path,
        state('t1', 'communication-log'),
        { tenantId: 't1', kind: 'communication-log' },
        3,
      );
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a rolled-back write, or leaves hashed by another builder, never leave the writer on a stale edge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-inline-tree-'));
  const path = join(dir, 'store.db');
  try {
    const { db, operations, write, state } = await openWriter(path);
    const log = { tenantId: 't1', kind: 'communication-log' };
    try {
      write({
        type: 'insert-rows',
        table: 'communication_logs',
        rows: [communicationRow('t1', 'c1')],
        subjectKeys: [],
      });
      // Grown in memory by two leaves, then rolled back: the stored tree stays at one leaf.
      assert.throws(() =>
        db.transaction(() => {
          operations({
            type: 'insert-rows',
            table: 'communication_logs',
            rows: [communicationRow('t1', 'c2'), communicationRow('t1', 'c3')],
            subjectKeys: [],
          });
          throw new Error('rolled back');
        })(),
      );
      assert.equal(state('t1', 'communication-log').tree_size, 1);
      // Two other leaves, a copied record with its history: numbered, not hashed by the write…
      write({
        type: 'import-communication-logs',
        entries: [{ log: communicationRow('t1', 'c4') as never, transitions: [sent('t1', 'c4', T + 20)] }],
        subjectKeys: [],
      });
      assert.deepEqual(
        [state('t1', 'communication-log').assigned, state('t1', 'communication-log').tree_size],
        [3, 1],
      );
      // …and a write behind them leaves its own to the TreeBuilder too.
      write({
        type: 'insert-rows',
        table: 'communication_logs',
        rows: [communicationRow('t1', 'c5')],
        subjectKeys: [],
      });
      assert.deepEqual(
        [state('t1', 'communication-log').assigned, state('t1', 'communication-log').tree_size],
        [4, 1],
      );
      await new TreeBuilder(integrityOver(db, write), new SqliteLeafReader(db)).catchUpLog(log);
      await assertWholeTree(path, state('t1', 'communication-log'), log, 4);
      // The tree now has the size the rolled-back write reached in memory, with other leaves.
      write({
        type: 'insert-rows',
        table: 'communication_logs',
        rows: [communicationRow('t1', 'c6')],
        subjectKeys: [],
      });
      await assertWholeTree(path, state('t1', 'communication-log'), log, 5);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What TreeBuilder.catchUpLog needs of an IntegrityStore, on the test's connection. */
function integrityOver(db: Database.Database, write: (command: WriteCommand) => unknown): IntegrityStore {
  const store: Pick<IntegrityStore, 'logState' | 'readTiles' | 'appendTree'> = {
    logState: (log) => {
      const row = db
        .prepare(
          'SELECT assigned, tree_size AS treeSize, root FROM integrity_logs WHERE tenant_id = ? AND kind = ?',
        )
        .get(log.tenantId, log.kind) as { assigned: number; treeSize: number; root: Buffer };
      return Promise.resolve(row);
    },
    readTiles: (log, tiles) =>
      Promise.resolve(
        tiles.map(
          (tile) =>
            db
              .prepare(
                'SELECT hashes FROM integrity_tiles WHERE tenant_id = ? AND kind = ? AND level = ? AND tile_index = ?',
              )
              .pluck()
              .get(log.tenantId, log.kind, tile.level, tile.index) as Buffer | undefined,
        ),
      ),
    appendTree: (log, update) => Promise.resolve(write({ type: 'append-tree', log, update }) as boolean),
  };
  return store as IntegrityStore;
}
