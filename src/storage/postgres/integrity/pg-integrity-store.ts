import type { LeafWindow } from '../../../integrity/leaves/leaf-builder.js';
import type pg from 'pg';
import { EMPTY_ROOT } from '../../../integrity/merkle/rfc6962-hashing.js';
import type { TileAddress } from '../../../integrity/merkle/tile-layout.js';
import type {
  LogId,
  LogState,
  LogStatus,
  StoredCheckpoint,
  TreeStep,
  TreeUpdate,
} from '../../../integrity/sequencing/integrity-store.js';
import type { PgPool } from '../pg-executor.js';
import type { OutboxEntry, PublishTarget } from '../../../integrity/checkpoints/checkpoint-outbox.js';
import type {
  IntegrityLog,
  LeafRange,
  PrunedRange,
  LogIdentity,
  StoredRowCount,
  UnnumberedRow,
} from '../../../integrity/integrity-log.js';
import { checkWindow, type LeafChecks } from '../../../integrity/leaves/leaf-checks.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import {
  checkpointOf,
  outboxEntryOf,
  type CheckpointRow,
  type OutboxColumns,
} from '../../../integrity/checkpoints/checkpoint-rows.js';
import { PgLeafReader } from './pg-leaf-reader.js';
import { appendTreesIn } from './pg-tree-append.js';
import { citusDetector } from '../citus/citus-distribution.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';

const CHECKPOINT_COLUMNS = 'tree_size, root, note, signed_at';

/** Runs `work` in one transaction on one connection of the pool. */
async function inTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return pool.withClient(async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/**
 * The integrity log on PostgreSQL. Tree growth and checkpoints are compare-and-sets inside a
 * transaction that locks the log's row, so two processes can never fork a log.
 */
export class PgIntegrityStore implements IntegrityLog {
  private readonly reader: PgLeafReader;

  /**
   * Whether the database is a Citus coordinator: Citus refuses a locking read of many shards and
   * cannot push down reads walking many tenants, so a pass locks its logs, and reads leaves and
   * records, one tenant per statement.
   */
  readonly onCitus: () => Promise<boolean>;

  constructor(private readonly pool: PgPool) {
    this.onCitus = citusDetector(pool);
    this.reader = new PgLeafReader(pool, this.onCitus);
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

  async leafChecks(log: LogId, start: number, end: number): Promise<LeafChecks> {
    return checkWindow(log.kind, await this.reader.leafWindow(log, start, end));
  }

  async prunedRanges(log: LogId): Promise<PrunedRange[]> {
    const rows = await this.pool.query<{ first_leaf: number; end_leaf: number }>(
      `SELECT first_leaf, end_leaf FROM integrity_pruned
        WHERE tenant_id = $1 AND kind = $2 ORDER BY first_leaf`,
      [log.tenantId, log.kind],
    );
    return rows.map((row) => [row.first_leaf, row.end_leaf] as const);
  }

  async unnumbered(kind: string, limit: number): Promise<UnnumberedRow[]> {
    const table = logTableOfKind(kind);
    // Pending: a claim the sequencer has not reached (txid at or past its cursor), or a row from
    // before the log while the backfill runs. A row without a claim was never written by sealog.
    const pending = (txid: string, claimed: string) => `(${txid} IS NOT NULL AND ${txid} >= cursor.txid)
        OR (${txid} IS NULL AND ${claimed} AND NOT backfill.done)`;
    const state = `(SELECT txid FROM integrity_cursor WHERE kind = $1) AS cursor(txid),
                   (SELECT done FROM integrity_backfill WHERE kind = $1) AS backfill(done)`;
    const records = await this.pool.query<UnnumberedRow>(
      `SELECT r.tenant_id AS "tenantId", r.id AS "recordId", 0 AS transition,
              coalesce(${pending('k.txid', 'k.id IS NOT NULL')}, false) AS pending
         FROM ${table.table} r LEFT JOIN ${table.keysTable} k ON k.tenant_id = r.tenant_id AND k.id = r.id,
              ${state}
        WHERE NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.tenant_id = r.tenant_id
                            AND l.kind = $1 AND l.record_id = r.id AND l.transition = 0)
        LIMIT $2`,
      [kind, limit],
    );
    if (table.table !== COMMUNICATION_LOG_TABLE.table) return records;
    const transitions = await this.pool.query<UnnumberedRow>(
      `SELECT t.tenant_id AS "tenantId", t.log_id AS "recordId", t.rank AS transition,
              coalesce(${pending('t.txid', 'true')}, false) AS pending
         FROM (SELECT tenant_id, log_id, txid,
                      row_number() OVER (PARTITION BY tenant_id, log_id ORDER BY seq)::integer AS rank
                 FROM communication_log_transitions) t,
              ${state}
        WHERE NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.tenant_id = t.tenant_id
                            AND l.kind = $1 AND l.record_id = t.log_id AND l.transition = t.rank)
        LIMIT $2`,
      [kind, limit],
    );
    return [...records, ...transitions].slice(0, limit);
  }

  async rowCounts(kind: string): Promise<StoredRowCount[]> {
    const table = logTableOfKind(kind);
    const counts = new Map<string, StoredRowCount>();
    const count = async (sql: string, field: 'records' | 'transitions') => {
      for (const row of await this.pool.query<{ tenant_id: string; n: number }>(sql)) {
        const entry = counts.get(row.tenant_id) ?? { tenantId: row.tenant_id, records: 0, transitions: 0 };
        entry[field] = row.n;
        counts.set(row.tenant_id, entry);
      }
    };
    await count(`SELECT tenant_id, count(*) AS n FROM ${table.table} GROUP BY tenant_id`, 'records');
    if (table.table === COMMUNICATION_LOG_TABLE.table) {
      await count(
        'SELECT tenant_id, count(*) AS n FROM communication_log_transitions GROUP BY tenant_id',
        'transitions',
      );
    }
    return [...counts.values()];
  }

  async findLeaf(log: LogId, recordId: string, transition: number): Promise<number | undefined> {
    const [row] = await this.pool.query<{ leaf_index: number }>(
      `SELECT leaf_index FROM integrity_leaves
        WHERE tenant_id = $1 AND kind = $2 AND record_id = $3 AND transition = $4`,
      [log.tenantId, log.kind, recordId, transition],
    );
    return row?.leaf_index;
  }

  async hasRecord(log: LogId, recordId: string): Promise<boolean> {
    const rows = await this.pool.query(
      `SELECT 1 FROM ${logTableOfKind(log.kind).keysTable} WHERE tenant_id = $1 AND id = $2`,
      [log.tenantId, recordId],
    );
    return rows.length > 0;
  }

  async identity(): Promise<LogIdentity | undefined> {
    const [row] = await this.pool.query<LogIdentity>(
      'SELECT origin_prefix AS "originPrefix", public_key AS "publicKey" FROM integrity_identity',
    );
    return row;
  }

  async claimIdentity(identity: LogIdentity): Promise<LogIdentity> {
    await this.pool.query(
      'INSERT INTO integrity_identity (id, origin_prefix, public_key) VALUES (1, $1, $2) ON CONFLICT DO NOTHING',
      [identity.originPrefix, identity.publicKey],
    );
    return (await this.identity()) ?? identity;
  }

  async unpublished(target: PublishTarget, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.pool.query<CheckpointRow & OutboxColumns>(
      `SELECT tenant_id, kind, ${CHECKPOINT_COLUMNS}, url_attempts, url_next_at FROM integrity_checkpoints
        WHERE NOT ${target === 'dir' ? 'dir_published' : 'url_published'}
        ORDER BY signed_at, tenant_id, kind, tree_size LIMIT $1`,
      [limit],
    );
    return rows.map(outboxEntryOf);
  }

  async markPublished(log: LogId, size: number, target: PublishTarget): Promise<void> {
    await this.pool.query(
      `UPDATE integrity_checkpoints SET ${target === 'dir' ? 'dir_published' : 'url_published'} = true
        WHERE tenant_id = $1 AND kind = $2 AND tree_size = $3`,
      [log.tenantId, log.kind, size],
    );
  }

  async recordFailure(log: LogId, size: number, nextAttemptAt: number): Promise<void> {
    await this.pool.query(
      `UPDATE integrity_checkpoints SET url_attempts = url_attempts + 1, url_next_at = $4
        WHERE tenant_id = $1 AND kind = $2 AND tree_size = $3`,
      [log.tenantId, log.kind, size, nextAttemptAt],
    );
  }

  async logState(log: LogId): Promise<LogState> {
    const [row] = await this.pool.query<{ assigned: number; tree_size: number; root: Buffer }>(
      'SELECT assigned, tree_size, root FROM integrity_logs WHERE tenant_id = $1 AND kind = $2',
      [log.tenantId, log.kind],
    );
    return row === undefined
      ? { assigned: 0, treeSize: 0, root: Buffer.from(EMPTY_ROOT) }
      : { assigned: row.assigned, treeSize: row.tree_size, root: row.root };
  }

  async logStates(): Promise<LogStatus[]> {
    const rows = await this.pool.query<{
      tenant_id: string;
      kind: string;
      assigned: number;
      tree_size: number;
      root: Buffer;
    }>(
      'SELECT tenant_id, kind, assigned, tree_size, root FROM integrity_logs WHERE assigned > 0 ORDER BY tenant_id, kind',
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      kind: row.kind,
      assigned: row.assigned,
      treeSize: row.tree_size,
      root: row.root,
    }));
  }

  async readTiles(log: LogId, tiles: readonly TileAddress[]): Promise<(Buffer | undefined)[]> {
    if (tiles.length === 0) return [];
    const rows = await this.pool.query<{ level: number; tile_index: number; hashes: Buffer }>(
      `SELECT t.level, t.tile_index, t.hashes FROM integrity_tiles t
         JOIN unnest($3::integer[], $4::bigint[]) AS wanted(level, tile_index)
           ON t.level = wanted.level AND t.tile_index = wanted.tile_index
        WHERE t.tenant_id = $1 AND t.kind = $2`,
      [log.tenantId, log.kind, tiles.map((tile) => tile.level), tiles.map((tile) => tile.index)],
    );
    const found = new Map(rows.map((row) => [`${row.level}/${row.tile_index}`, row.hashes]));
    return tiles.map((tile) => found.get(`${tile.level}/${tile.index}`));
  }

  async appendTree(log: LogId, update: TreeUpdate): Promise<boolean> {
    const [applied] = await this.appendTrees([{ log, update }]);
    return applied === true;
  }

  async appendTrees(steps: readonly TreeStep[]): Promise<boolean[]> {
    const oneByOne = await this.onCitus();
    return inTransaction(this.pool, (client) => appendTreesIn(client, steps, oneByOne));
  }

  async latestCheckpoint(log: LogId): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.pool.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2
        ORDER BY tree_size DESC LIMIT 1`,
      [log.tenantId, log.kind],
    );
    return row === undefined ? undefined : checkpointOf(row);
  }

  async checkpointAt(log: LogId, size: number): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.pool.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2 AND tree_size = $3`,
      [log.tenantId, log.kind, size],
    );
    return row === undefined ? undefined : checkpointOf(row);
  }

  async listCheckpoints(log: LogId, afterSize: number, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.pool.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM integrity_checkpoints
        WHERE tenant_id = $1 AND kind = $2 AND tree_size > $3 ORDER BY tree_size LIMIT $4`,
      [log.tenantId, log.kind, afterSize, limit],
    );
    return rows.map(checkpointOf);
  }

  storeCheckpoint(
    log: LogId,
    checkpoint: StoredCheckpoint,
    expectedLatest: number | undefined,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Serializes signers of one log (the log's row), so the compare-and-set below is exact.
      await client.query('SELECT 1 FROM integrity_logs WHERE tenant_id = $1 AND kind = $2 FOR UPDATE', [
        log.tenantId,
        log.kind,
      ]);
      const { rows } = await client.query<{ latest: number | null }>(
        'SELECT max(tree_size) AS latest FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2',
        [log.tenantId, log.kind],
      );
      const latest = rows[0]?.latest ?? undefined;
      if (latest !== expectedLatest || checkpoint.size <= (latest ?? -1)) return false;
      // A log with no leaf yet has no row to lock: two signers of its empty tree both get here,
      // and the second finds the first's checkpoint stored (a lost race, as the CAS above).
      const inserted = await client.query(
        `INSERT INTO integrity_checkpoints (tenant_id, kind, tree_size, root, note, signed_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [log.tenantId, log.kind, checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.signedAt],
      );
      return inserted.rowCount === 1;
    });
  }
}
