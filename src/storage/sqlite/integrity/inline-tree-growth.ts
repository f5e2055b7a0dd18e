import type Database from 'better-sqlite3';
import { logKey, type LogId } from '../../../integrity/sequencing/integrity-store.js';
import { edgeTiles, TreeAppender, TreeEdgeError } from '../../../integrity/sequencing/tree-appender.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { IntegrityWrites } from './integrity-writes.js';

/**
 * Grows a log's tree in the very write that numbered its leaves, from the rows that write holds:
 * a leaf's bytes depend on its row alone, so reading them back after the commit (TreeBuilder's
 * way) would cost a query per window for bytes already in hand. Synchronous, on the writing
 * connection, inside the write's transaction: the leaves, tiles, size and root commit together or
 * not at all.
 *
 * It hashes only when the tree has caught up with every leaf numbered before this write (no
 * backlog from a migration, an import or a rolled-back growth); otherwise it leaves the leaves
 * numbered and unhashed, and the store's TreeBuilder hashes them from the stored rows, as before.
 */
export class InlineTreeGrowth {
  private readonly statements: StatementCache;
  /**
   * Each log's right edge after the last growth made here. Used only while its size and root are
   * the stored ones: a rolled-back transaction or another builder's growth makes it stale, and
   * then it is resumed from the stored tiles.
   */
  private readonly appenders = new Map<string, TreeAppender>();

  constructor(
    db: Database.Database,
    private readonly integrity: IntegrityWrites,
  ) {
    this.statements = new StatementCache(db);
  }

  /**
   * Hashes leaves `first` … of `log`, just numbered in this transaction, into its tree.
   * `leafHashes` gives their RFC 6962 leaf hashes in leaf order (called only when the tree stands
   * at `first`); it returns undefined for a row no leaf can be made of, which leaves the whole
   * batch to the TreeBuilder (it reports the row). Returns whether the tree grew.
   */
  grow(log: LogId, first: number, leafHashes: () => Buffer[] | undefined): boolean {
    const state = this.statements
      .prepare('SELECT tree_size, root FROM integrity_logs WHERE tenant_id = ? AND kind = ?')
      .get(log.tenantId, log.kind) as { tree_size: number; root: Buffer } | undefined;
    if (state?.tree_size !== first) return false;
    const hashes = leafHashes();
    if (hashes === undefined || hashes.length === 0) return false;
    const appender = this.appenderAt(log, state.tree_size, state.root);
    if (appender === undefined) return false;
    const { update, next } = appender.append(hashes);
    if (!this.integrity.appendTree(log, update)) return false;
    this.appenders.set(logKey(log), next);
    return true;
  }

  /** The right edge of `log` at `size`, kept or resumed from its tiles; undefined if they disagree with `root`. */
  private appenderAt(log: LogId, size: number, root: Buffer): TreeAppender | undefined {
    const kept = this.appenders.get(logKey(log));
    if (kept?.size === size && kept.root().equals(root)) return kept;
    this.appenders.delete(logKey(log));
    if (size === 0) return TreeAppender.empty();
    const read = this.statements.prepare(
      'SELECT hashes FROM integrity_tiles WHERE tenant_id = ? AND kind = ? AND level = ? AND tile_index = ?',
    );
    const edge = edgeTiles(size).map((tile) => ({
      level: tile.level,
      index: tile.index,
      hashes:
        (read.pluck().get(log.tenantId, log.kind, tile.level, tile.index) as Buffer | undefined) ??
        Buffer.alloc(0),
    }));
    try {
      const resumed = TreeAppender.resume(size, edge);
      return resumed.root().equals(root) ? resumed : undefined;
    } catch (error) {
      // Tiles that do not make the stored tree are the TreeBuilder's (and verify's) to report:
      // they must not fail the write.
      if (error instanceof TreeEdgeError) return undefined;
      throw error;
    }
  }
}
