import type Database from 'better-sqlite3';
import type { LogId, StoredCheckpoint, TreeUpdate } from '../../../integrity/sequencing/integrity-store.js';
import { HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { PublishTarget } from '../../../integrity/checkpoints/checkpoint-outbox.js';
import type { LogIdentity } from '../../../integrity/integrity-log.js';

/** Bytes that crossed a thread boundary (structured cloning turns a Buffer into a Uint8Array). */
const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/**
 * The integrity log's writes on the writing connection, each in the writer's transaction: tree
 * growth (a compare-and-set on the tree size) and checkpoints (a compare-and-set on the latest).
 */
export class IntegrityWrites {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  /**
   * Stores `update` if the tree still has `update.expectedSize` leaves; false otherwise. Throws
   * (the writer rolls the write back) when it would break the log: more leaves than numbered, or a
   * tile hash that would change.
   */
  appendTree(log: LogId, update: TreeUpdate): boolean {
    const state = this.statements
      .prepare('SELECT assigned, tree_size FROM integrity_logs WHERE tenant_id = ? AND kind = ?')
      .get(log.tenantId, log.kind) as { assigned: number; tree_size: number } | undefined;
    if (state?.tree_size !== update.expectedSize) return false;
    if (update.size <= update.expectedSize || update.size > state.assigned) {
      throw new Error(
        `${log.kind} log of ${JSON.stringify(log.tenantId)}: cannot grow from ${update.expectedSize} to ${update.size} leaves with ${state.assigned} numbered`,
      );
    }
    const read = this.statements.prepare(
      'SELECT hashes FROM integrity_tiles WHERE tenant_id = ? AND kind = ? AND level = ? AND tile_index = ?',
    );
    const write = this.statements.prepare(
      `INSERT INTO integrity_tiles (tenant_id, kind, level, tile_index, hashes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, kind, level, tile_index) DO UPDATE SET hashes = excluded.hashes`,
    );
    for (const tile of update.tiles) {
      const hashes = bytes(tile.hashes);
      const stored = read.pluck().get(log.tenantId, log.kind, tile.level, tile.index) as Buffer | undefined;
      const storedWidth = stored === undefined ? 0 : stored.length / HASH_BYTES;
      const kept = hashes.subarray(0, storedWidth * HASH_BYTES);
      if (storedWidth !== tile.previousWidth || (stored !== undefined && !kept.equals(stored))) {
        throw new Error(
          `${log.kind} log of ${JSON.stringify(log.tenantId)}: tile ${tile.level}/${tile.index} holds ${storedWidth} hashes, not the ${tile.previousWidth} its growth starts from`,
        );
      }
      write.run(log.tenantId, log.kind, tile.level, tile.index, hashes);
    }
    this.statements
      .prepare('UPDATE integrity_logs SET tree_size = ?, root = ? WHERE tenant_id = ? AND kind = ?')
      .run(update.size, bytes(update.root), log.tenantId, log.kind);
    return true;
  }

  /** Stores `checkpoint` if the latest stored one still has size `expectedLatest`; false otherwise. */
  storeCheckpoint(log: LogId, checkpoint: StoredCheckpoint, expectedLatest: number | undefined): boolean {
    const latest = this.statements
      .prepare('SELECT max(tree_size) FROM integrity_checkpoints WHERE tenant_id = ? AND kind = ?')
      .pluck()
      .get(log.tenantId, log.kind) as number | null;
    if ((latest ?? undefined) !== expectedLatest || checkpoint.size <= (latest ?? -1)) return false;
    this.statements
      .prepare(
        `INSERT INTO integrity_checkpoints (tenant_id, kind, tree_size, root, note, signed_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        log.tenantId,
        log.kind,
        checkpoint.size,
        bytes(checkpoint.root),
        checkpoint.note,
        checkpoint.signedAt,
      );
    return true;
  }

  /** Marks a checkpoint published to `target` (idempotent). */
  markPublished(log: LogId, size: number, target: PublishTarget): void {
    this.statements
      .prepare(
        `UPDATE integrity_checkpoints SET ${target === 'dir' ? 'dir_published' : 'url_published'} = 1
          WHERE tenant_id = ? AND kind = ? AND tree_size = ?`,
      )
      .run(log.tenantId, log.kind, size);
  }

  /** Counts a failed POST of a checkpoint; not retried before `nextAttemptAt` (epoch ms). */
  recordPublishFailure(log: LogId, size: number, nextAttemptAt: number): void {
    this.statements
      .prepare(
        `UPDATE integrity_checkpoints SET url_attempts = url_attempts + 1, url_next_at = ?
          WHERE tenant_id = ? AND kind = ? AND tree_size = ?`,
      )
      .run(nextAttemptAt, log.tenantId, log.kind, size);
  }

  /** Records `identity` unless one is recorded; returns the one recorded. */
  claimIdentity(identity: LogIdentity): LogIdentity {
    this.statements
      .prepare(
        'INSERT INTO integrity_identity (id, origin_prefix, public_key) VALUES (1, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(identity.originPrefix, identity.publicKey);
    return this.statements
      .prepare('SELECT origin_prefix AS originPrefix, public_key AS publicKey FROM integrity_identity')
      .get() as LogIdentity;
  }
}
