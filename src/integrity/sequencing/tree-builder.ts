import { HASH_BYTES, leafHash } from '../merkle/rfc6962-hashing.js';
import {
  logKey,
  type IntegrityStore,
  type LeafRange,
  type LogId,
  type LogState,
  type TreeStep,
} from './integrity-store.js';
import { edgeTiles, TreeAppender } from './tree-appender.js';

/** Reads the leaf bytes of numbered leaves; each store reads its rows its own way. */
export interface LeafReader {
  /**
   * The bytes of leaves `start` … `end − 1` of `log`, in order (all numbered already). Throws
   * MissingLeafRowError (leaf-builder.ts) for a leaf whose row is not stored.
   */
  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]>;
  /**
   * The leaf hashes of each range (all numbered already), in the order asked, each in leaf order,
   * when the store kept them with the rows (computed when the rows were written); undefined for a
   * range where it did not for every leaf, which is then hashed from leafBytes. Several ranges (of
   * different logs) in a few round trips.
   */
  leafHashes?(ranges: readonly LeafRange[]): Promise<(Buffer[] | undefined)[]>;
}

/** Leaves hashed per log and step: a few ms of work, one tile write per level. */
export const DEFAULT_BATCH_LEAVES = 2000;

/** Leaves hashed per step over all its logs, in batchLeaves: bounds one transaction's tiles. */
const STEP_BATCHES = 10;

/**
 * Hashes numbered leaves into their logs' trees (tiles, size, root), in leaf order, up to
 * batchLeaves per log in each atomic store step (IntegrityStore.appendTrees, one compare-and-set
 * on each tree's size: two builders can never fork a log; the loser re-reads). A step grows every
 * pending log at once (up to STEP_BATCHES · batchLeaves leaves), so many busy tenants cost a few
 * round trips a step rather than a few per log. Keeps each log's right edge between steps, so a
 * step costs about one node hash per leaf.
 */
export class TreeBuilder {
  private readonly appenders = new Map<string, TreeAppender>();

  constructor(
    private readonly store: IntegrityStore,
    private readonly reader: LeafReader,
    private readonly batchLeaves = DEFAULT_BATCH_LEAVES,
  ) {}

  /**
   * Hashes every numbered leaf of every log into its tree; returns the leaves hashed. A log whose
   * leaves cannot be read (a row missing) is left where it stands while every other log grows;
   * then the first such error is thrown.
   */
  async catchUp(): Promise<number> {
    let hashed = 0;
    const failed = new Map<string, unknown>();
    for (;;) {
      const pending = (await this.store.logStates()).filter(
        (log) => log.assigned > log.treeSize && !failed.has(logKey(log)),
      );
      if (pending.length === 0) break;
      for (const logs of this.stepsOf(pending)) hashed += await this.step(logs, failed);
    }
    const [failure] = failed.values();
    if (failed.size > 0) throw failure;
    return hashed;
  }

  /** `pending` cut into steps of at most STEP_BATCHES · batchLeaves leaves each. */
  private *stepsOf<T extends LogState>(pending: readonly T[]): Generator<T[]> {
    const budget = this.batchLeaves * STEP_BATCHES;
    let logs: T[] = [];
    let leaves = 0;
    for (const log of pending) {
      const share = Math.min(log.assigned - log.treeSize, this.batchLeaves);
      if (logs.length > 0 && leaves + share > budget) {
        yield logs;
        logs = [];
        leaves = 0;
      }
      logs.push(log);
      leaves += share;
    }
    if (logs.length > 0) yield logs;
  }

  /** Hashes the numbered leaves of `log` (one log's share of catchUp). */
  async catchUpLog(log: LogId): Promise<number> {
    let hashed = 0;
    const failed = new Map<string, unknown>();
    for (let state = await this.store.logState(log); state.assigned > state.treeSize;) {
      hashed += await this.step([{ ...log, ...state }], failed);
      const [failure] = failed.values();
      if (failed.size > 0) throw failure;
      state = await this.store.logState(log);
    }
    return hashed;
  }

  /**
   * Grows each of `logs` (distinct, each behind) by up to batchLeaves in one store step; a log
   * whose leaves cannot be read is left out and its error set in `failed` by its logKey.
   */
  private async step(logs: readonly (LogId & LogState)[], failed: Map<string, unknown>): Promise<number> {
    const ranges = logs.map(({ tenantId, kind, treeSize, assigned }) => ({
      log: { tenantId, kind },
      start: treeSize,
      end: Math.min(assigned, treeSize + this.batchLeaves),
    }));
    const stored = (await this.reader.leafHashes?.(ranges)) ?? [];
    const steps: TreeStep[] = [];
    const nexts: TreeAppender[] = [];
    for (const [position, range] of ranges.entries()) {
      try {
        const hashes =
          stored[position] ??
          (await this.reader.leafBytes(range.log, range.start, range.end)).map((leaf) => leafHash(leaf));
        const { update, next } = (await this.appenderAt(range.log, range.start)).append(hashes);
        steps.push({ log: range.log, update });
        nexts.push(next);
      } catch (error) {
        failed.set(logKey(range.log), error);
      }
    }
    const applied = await this.appendTrees(steps);
    let hashed = 0;
    for (const [position, { log, update }] of steps.entries()) {
      if (applied[position] === true) {
        this.appenders.set(logKey(log), nexts[position] as TreeAppender);
        hashed += update.size - update.expectedSize;
      } else {
        // Another builder moved the tree on: start from what it stored.
        this.appenders.delete(logKey(log));
      }
    }
    return hashed;
  }

  private async appendTrees(steps: readonly TreeStep[]): Promise<boolean[]> {
    if (this.store.appendTrees !== undefined) return this.store.appendTrees(steps);
    const applied: boolean[] = [];
    for (const { log, update } of steps) applied.push(await this.store.appendTree(log, update));
    return applied;
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
      // A tile another builder grew since `size` was read holds more entries; its first ones
      // are those of `size` (stored hashes never change), and its CAS will fail anyway.
      edge.map((tile, position) => ({
        level: tile.level,
        index: tile.index,
        hashes: hashes[position]?.subarray(0, tile.width * HASH_BYTES) ?? Buffer.alloc(0),
      })),
    );
  }
}
