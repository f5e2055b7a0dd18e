import type { LeafWindow } from '../../../integrity/leaves/leaf-builder.js';
import type Database from 'better-sqlite3';
import type { TileAddress } from '../../../integrity/merkle/tile-layout.js';
import { EMPTY_ROOT } from '../../../integrity/merkle/rfc6962-hashing.js';
import type {
  LogId,
  LogState,
  LogStatus,
  StoredCheckpoint,
  TreeUpdate,
} from '../../../integrity/sequencing/integrity-store.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { OutboxEntry, PublishTarget } from '../../../integrity/checkpoints/checkpoint-outbox.js';
import type {
  IntegrityLog,
  LeafRange,
  PrunedRange,
  LogIdentity,
  StoredRowCount,
  UnnumberedRow,
} from '../../../integrity/integrity-log.js';
import type { LeafChecks } from '../../../integrity/leaves/leaf-checks.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { SqliteLeafReader } from './sqlite-leaf-reader.js';
import { SqliteLeafTexts } from './sqlite-leaf-texts.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import {
  checkpointOf,
  outboxEntryOf,
  type CheckpointRow,
  type OutboxColumns,
} from '../../../integrity/checkpoints/checkpoint-rows.js';
import type { StoreWriter } from '../engine/store-writer.js';

const CHECKPOINT_COLUMNS = 'tree_size, root, note, signed_at';

/**
 * The integrity log of the embedded store: reads on the event loop's connection (each a WAL
 * snapshot), writes through the writer, where their compare-and-sets run in its transaction.
 */
export class SqliteIntegrityStore implements IntegrityLog {
  private readonly statements: StatementCache;
  private readonly reader: SqliteLeafReader;
  private readonly texts: SqliteLeafTexts;

  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    this.statements = new StatementCache(db);
    this.reader = new SqliteLeafReader(db);
    this.texts = new SqliteLeafTexts(db);
  }

  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    return this.reader.leafBytes(log, start, end);
  }

  leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow> {
    return this.reader.leafWindow(log, start, end);
  }

  leafWindows(ranges: readonly LeafRange[]): Promise<LeafWindow[]> {
    return this.reader.leafWindows(ranges);
  }

  leafChecks(log: LogId, start: number, end: number): Promise<LeafChecks> {
    return asPromise(() => this.texts.read(log, start, end));
  }

  prunedRanges(log: LogId): Promise<PrunedRange[]> {
    return asPromise(() =>
      (
        this.statements
          .prepare(
            `SELECT first_leaf, end_leaf FROM integrity_pruned
              WHERE tenant_id = ? AND kind = ? ORDER BY first_leaf`,
          )
          .raw()
          .all(log.tenantId, log.kind) as [number, number][]
      ).map(([first, end]) => [first, end] as const),
    );
  }

  unnumbered(kind: string, limit: number): Promise<UnnumberedRow[]> {
    return asPromise(() => {
      const table = logTableOfKind(kind);
      const records = this.statements
        .prepare(
          `SELECT tenant_id AS tenantId, id AS recordId, 0 AS transition FROM ${table.table} t
            WHERE NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.tenant_id = t.tenant_id
                                AND l.kind = ? AND l.record_id = t.id AND l.transition = 0)
            LIMIT ?`,
        )
        .all(kind, limit) as Omit<UnnumberedRow, 'pending'>[];
      const transitions =
        table.table !== COMMUNICATION_LOG_TABLE.table
          ? []
          : (this.statements
              .prepare(
                `SELECT tenant_id AS tenantId, log_id AS recordId, rank AS transition FROM (
                   SELECT tenant_id, log_id,
                          row_number() OVER (PARTITION BY tenant_id, log_id ORDER BY seq) AS rank
                     FROM communication_log_transitions) t
                  WHERE NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.tenant_id = t.tenant_id
                                      AND l.kind = ? AND l.record_id = t.log_id AND l.transition = t.rank)
                  LIMIT ?`,
              )
              .all(kind, limit) as Omit<UnnumberedRow, 'pending'>[]);
      // The writer numbers every row in the transaction that stores it: none is ever pending.
      return [...records, ...transitions].slice(0, limit).map((row) => ({ ...row, pending: false }));
    });
  }

  rowCounts(kind: string): Promise<StoredRowCount[]> {
    return asPromise(() => {
      const table = logTableOfKind(kind);
      const counts = new Map<string, StoredRowCount>();
      const count = (sql: string, field: 'records' | 'transitions') => {
        for (const [tenantId, n] of this.statements.prepare(sql).raw().all() as [string, number][]) {
          const entry = counts.get(tenantId) ?? { tenantId, records: 0, transitions: 0 };
          entry[field] = n;
          counts.set(tenantId, entry);
        }
      };
      count(`SELECT tenant_id, count(*) FROM ${table.table} GROUP BY tenant_id`, 'records');
      if (table.table === COMMUNICATION_LOG_TABLE.table) {
        count(
          'SELECT tenant_id, count(*) FROM communication_log_transitions GROUP BY tenant_id',
          'transitions',
        );
      }
      return [...counts.values()];
    });
  }

  findLeaf(log: LogId, recordId: string, transition: number): Promise<number | undefined> {
    return asPromise(
      () =>
        this.statements
          .prepare(
            `SELECT leaf_index FROM integrity_leaves
              WHERE tenant_id = ? AND kind = ? AND record_id = ? AND transition = ?`,
          )
          .pluck()
          .get(log.tenantId, log.kind, recordId, transition) as number | undefined,
    );
  }

  hasRecord(log: LogId, recordId: string): Promise<boolean> {
    return asPromise(
      () =>
        this.statements
          .prepare(`SELECT 1 FROM ${logTableOfKind(log.kind).table} WHERE tenant_id = ? AND id = ?`)
          .get(log.tenantId, recordId) !== undefined,
    );
  }

  identity(): Promise<LogIdentity | undefined> {
    return asPromise(
      () =>
        this.statements
          .prepare('SELECT origin_prefix AS originPrefix, public_key AS publicKey FROM integrity_identity')
          .get() as LogIdentity | undefined,
    );
  }

  claimIdentity(identity: LogIdentity): Promise<LogIdentity> {
    return this.writer.run({ type: 'claim-identity', identity });
  }

  unpublished(target: PublishTarget, limit: number): Promise<OutboxEntry[]> {
    return asPromise(() => {
      const rows = this.statements
        .prepare(
          `SELECT tenant_id, kind, ${CHECKPOINT_COLUMNS}, url_attempts, url_next_at FROM integrity_checkpoints
            WHERE ${target === 'dir' ? 'dir_published' : 'url_published'} = 0
            ORDER BY signed_at, tenant_id, kind, tree_size LIMIT ?`,
        )
        .all(limit) as (CheckpointRow & OutboxColumns)[];
      return rows.map(outboxEntryOf);
    });
  }

  markPublished(log: LogId, size: number, target: PublishTarget): Promise<void> {
    return this.writer.run({ type: 'mark-published', log, size, target });
  }

  recordFailure(log: LogId, size: number, nextAttemptAt: number): Promise<void> {
    return this.writer.run({ type: 'record-publish-failure', log, size, nextAttemptAt });
  }

  logState(log: LogId): Promise<LogState> {
    return asPromise(() => {
      const row = this.statements
        .prepare('SELECT assigned, tree_size, root FROM integrity_logs WHERE tenant_id = ? AND kind = ?')
        .get(log.tenantId, log.kind) as { assigned: number; tree_size: number; root: Buffer } | undefined;
      return row === undefined
        ? { assigned: 0, treeSize: 0, root: Buffer.from(EMPTY_ROOT) }
        : { assigned: row.assigned, treeSize: row.tree_size, root: Buffer.from(row.root) };
    });
  }

  logStates(): Promise<LogStatus[]> {
    return asPromise(() => {
      const rows = this.statements
        .prepare(
          `SELECT tenant_id, kind, assigned, tree_size, root FROM integrity_logs
            WHERE assigned > 0 ORDER BY tenant_id, kind`,
        )
        .all() as { tenant_id: string; kind: string; assigned: number; tree_size: number; root: Buffer }[];
      return rows.map((row) => ({
        tenantId: row.tenant_id,
        kind: row.kind,
        assigned: row.assigned,
        treeSize: row.tree_size,
        root: Buffer.from(row.root),
      }));
    });
  }

  readTiles(log: LogId, tiles: readonly TileAddress[]): Promise<(Buffer | undefined)[]> {
    return asPromise(() => {
      const read = this.statements.prepare(
        'SELECT hashes FROM integrity_tiles WHERE tenant_id = ? AND kind = ? AND level = ? AND tile_index = ?',
      );
      return tiles.map((tile) => {
        const row = read.get(log.tenantId, log.kind, tile.level, tile.index) as
          { hashes: Buffer } | undefined;
        return row === undefined ? undefined : Buffer.from(row.hashes);
      });
    });
  }

  appendTree(log: LogId, update: TreeUpdate): Promise<boolean> {
    return this.writer.run({ type: 'append-tree', log, update });
  }

  latestCheckpoint(log: LogId): Promise<StoredCheckpoint | undefined> {
    return asPromise(() => {
      const row = this.statements
        .prepare(
          `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints WHERE tenant_id = ? AND kind = ?
            ORDER BY tree_size DESC LIMIT 1`,
        )
        .get(log.tenantId, log.kind) as CheckpointRow | undefined;
      return row === undefined ? undefined : checkpointOf(row);
    });
  }

  checkpointAt(log: LogId, size: number): Promise<StoredCheckpoint | undefined> {
    return asPromise(() => {
      const row = this.statements
        .prepare(
          `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints WHERE tenant_id = ? AND kind = ? AND tree_size = ?`,
        )
        .get(log.tenantId, log.kind, size) as CheckpointRow | undefined;
      return row === undefined ? undefined : checkpointOf(row);
    });
  }

  listCheckpoints(log: LogId, afterSize: number, limit: number): Promise<StoredCheckpoint[]> {
    return asPromise(() => {
      const rows = this.statements
        .prepare(
          `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints
            WHERE tenant_id = ? AND kind = ? AND tree_size > ? ORDER BY tree_size LIMIT ?`,
        )
        .all(log.tenantId, log.kind, afterSize, limit) as CheckpointRow[];
      return rows.map(checkpointOf);
    });
  }

  storeCheckpoint(
    log: LogId,
    checkpoint: StoredCheckpoint,
    expectedLatest: number | undefined,
  ): Promise<boolean> {
    return this.writer.run({ type: 'store-checkpoint', log, checkpoint, expectedLatest });
  }
}
