import { leafHash } from '../merkle/rfc6962-hashing.js';
import { logKey, type IntegrityStore, type LogId } from './integrity-store.js';
import { edgeTiles, TreeAppender } from './tree-appender.js';

/** Reads the leaf bytes of numbered leaves; each store reads its rows its own way. */
export interface LeafReader {
  /**
   * The bytes of leaves `start` … `end − 1` of `log`, in order (all numbered already). Throws
   * MissingLeafRowError (leaf-builder.ts) for a leaf whose row is not stored.
   */
  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]>;
  /**
   * The leaf hashes of leaves `start` … `end − 1` of `log`, in order, when the store kept them
   * with the rows (computed when the rows were written); undefined when it did not for every leaf
   * of the range, which is then hashed from leafBytes.
   */
  leafHashes?(log: LogId, start: number, end: number): Promise<Buffer[] | undefined>;
}

/** Leaves hashed per step: a few ms of work, one tile write per level. */
export const DEFAULT_BATCH_LEAVES = 2000;

/**
 * Hashes numbered leaves into their log's tree (tiles, size, root), in leaf order, a batch per
 * atomic store step (IntegrityStore.appendTree, a compare-and-set on the tree size: two builders
 * can never fork a log; the loser re-reads). Keeps each log's right edge between steps, so a step
 * costs about one node hash per leaf.
 */
export class TreeBuilder {
  private readonly appenders = new Map<string, TreeAppender>();

  constructor(
    private readonly store: IntegrityStore,
    private readonly reader: LeafReader,
    private readonly batchLeaves = DEFAULT_BATCH_LEAVES,
  ) {}

  /** Hashes every numbered leaf of every log into its tree; returns the leaves hashed. */
  async catchUp(): Promise<number> {
    let hashed = 0;
    for (const status of await this.store.logStates()) {
      if (status.assigned > status.treeSize) hashed += await this.catchUpLog(status);
    }
    return hashed;
  }

  /** Hashes the numbered leaves of `log` (one log's share of catchUp). */
  async catchUpLog(log: LogId): Promise<number> {
    let hashed = 0;
    let state = await this.store.logState(log);
    while (state.assigned > state.treeSize) {
      const end = Math.min(state.assigned, state.treeSize + this.batchLeaves);
      const hashes =
        (await this.reader.leafHashes?.(log, state.treeSize, end)) ??
        (await this.reader.leafBytes(log, state.treeSize, end)).map((leaf) => leafHash(leaf));
      const appender = await this.appenderAt(log, state.treeSize);
      const { update, next } = appender.append(hashes);
      if (await this.store.appendTree(log, update)) {
        this.appenders.set(logKey(log), next);
        hashed += hashes.length;
      } else {
        // Another builder moved the tree on: start from what it stored.
        this.appenders.delete(logKey(log));
      }
      state = await this.store.logState(log);
    }
    return hashed;
  }

  /** The appender of `log` at `size`: the one kept from the last step, or resumed from the tiles. */
  private async appenderAt(log: LogId, size: number): Promise<TreeAppender> {
    const kept = this.appenders.get(logKey(log));
    if (kept?.size === size) return kept;
    if (size === 0) return TreeAppender.empty();
    const edge = edgeTiles(size);
    const hashes = await this.store.readTiles(log, edge);
    return TreeAppender.resume(
      size,
      edge.map((tile, position) => ({
        level: tile.level,
        index: tile.index,
        hashes: hashes[position] ?? Buffer.alloc(0),
      })),
    );
  }
}
