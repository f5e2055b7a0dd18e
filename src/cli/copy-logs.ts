import type { LogId } from '../integrity/sequencing/integrity-store.js';
import { TreeEdgeError } from '../integrity/sequencing/tree-appender.js';
import { TreeBuilder } from '../integrity/sequencing/tree-builder.js';
import type { SqliteExport } from '../storage/sqlite/sqlite-export.js';
import { CopyRefusedError } from './copy-keys.js';
import { describeLog, treeRoot, type CopyTarget, type LogPlan } from './copy-plan.js';

/** What a copy did to the target, for its summary. */
export interface CopyCounts {
  /** Leaves this run copied: records and transitions. */
  leaves: number;
  records: number;
  transitions: number;
  /** Checkpoints this run stored (those the target held already are not counted). */
  checkpoints: number;
}

/** The copy of a source's logs into a target, batch after batch. */
export interface LogCopy {
  source: SqliteExport;
  target: CopyTarget;
  /** Leaves per batch and transaction. */
  batchSize: number;
  /** The master keys the target's servers will hold: every copied subject key must be wrapped by one. */
  masterKeyIds: ReadonlySet<string>;
  /**
   * Hears of each batch once it is committed: the log and how many of its leaves the target holds
   * now. May throw to stop the copy there (an interrupt).
   */
  onBatch(log: LogId, leaves: number, added: number): void;
}

/** A copied log does not give the roots the source signed: the copy is wrong, not the source. */
export class CopyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyMismatchError';
  }
}

/**
 * Copies every planned log, each from the leaves the target holds of it, and carries its
 * checkpoints; returns what was added.
 */
export async function copyLogs(copy: LogCopy, plans: readonly LogPlan[]): Promise<CopyCounts> {
  const counts: CopyCounts = { leaves: 0, records: 0, transitions: 0, checkpoints: 0 };
  // The target's own tree of each log, hashed from the copied rows as its sequencer would.
  const builder = new TreeBuilder(copy.target.integrity, copy.target.integrity);
  // Statistics refreshed after 1, 2, 4, 8 … batches: as often as the tables double, at most.
  let batches = 0;
  let nextAnalysis = 1;
  for (const plan of plans) {
    let position = plan.present;
    for (;;) {
      const batch = copy.source.leafBatch(plan.log, position, copy.batchSize);
      if (batch.leaves.length === 0) break;
      const foreign = batch.subjectKeys.find((key) => !copy.masterKeyIds.has(key.master_key_id));
      if (foreign !== undefined) {
        throw new CopyRefusedError(
          `subject key ${foreign.key_id} of tenant ${JSON.stringify(foreign.tenant_id)} is wrapped by master key ` +
            `"${foreign.master_key_id}", which the source does not record and DATA_KEY does not hold: set DATA_KEY to include it`,
        );
      }
      await copy.target.importer.importBatch(batch);
      position += batch.leaves.length;
      counts.leaves += batch.leaves.length;
      counts.records += batch.records.length;
      counts.transitions += batch.transitions.length;
      if (++batches === nextAnalysis) {
        nextAnalysis *= 2;
        await copy.target.importer.analyze();
      }
      await hashLog(builder, plan.log);
      copy.onBatch(plan.log, position, batch.leaves.length);
      if (batch.leaves.length < copy.batchSize) break;
    }
    // A resumed log's tree may lag behind its leaves (stopped before it was hashed).
    await hashLog(builder, plan.log);
    counts.checkpoints += await carryCheckpoints(copy, plan.log, position);
  }
  return counts;
}

/** Attempts at hashing a log while other builders (the target's sequencer) hash it too. */
const HASH_ATTEMPTS = 20;

/**
 * Hashes every numbered leaf of `log` into the target's tree. The target's sequencer may hash the
 * same log meanwhile: tree growth is a compare-and-set, but reading a tree's size and then its
 * edge tiles is not one snapshot, so a builder can find the edge grown past the size it read
 * (TreeEdgeError): then it reads again.
 */
async function hashLog(builder: TreeBuilder, log: LogId): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await builder.catchUpLog(log);
      return;
    } catch (error) {
      if (!(error instanceof TreeEdgeError) || attempt >= HASH_ATTEMPTS) throw error;
    }
  }
}

/**
 * Stores the source's checkpoints of `log` up to `size` leaves (all that the copied leaves cover)
 * once the target's tree, hashed from the copied rows, gives each one's root, and the source's
 * tree's root too when the copy covers it. Throws CopyMismatchError when a root differs.
 */
async function carryCheckpoints(copy: LogCopy, log: LogId, size: number): Promise<number> {
  const state = await copy.target.integrity.logState(log);
  if (state.treeSize !== size) {
    throw new CopyMismatchError(
      `the target's ${describeLog(log)} hashed ${state.treeSize} of ${size} leaves`,
    );
  }
  const checkpoints = copy.source.checkpoints(log, size);
  const tiles = new Map<string, Buffer[]>();
  const rootAt = (leaves: number) =>
    treeRoot((wanted) => copy.target.integrity.readTiles(log, wanted), leaves, tiles);
  for (const checkpoint of checkpoints) {
    if (!(await rootAt(checkpoint.treeSize)).equals(checkpoint.root)) {
      throw new CopyMismatchError(
        `the copied ${describeLog(log)} does not give the root of the source's checkpoint of ${checkpoint.treeSize} leaves`,
      );
    }
  }
  const source = copy.source.logState(log);
  if (source.treeSize <= size && !(await rootAt(source.treeSize)).equals(source.root)) {
    throw new CopyMismatchError(
      `the copied ${describeLog(log)} does not give the root of the source's tree of ${source.treeSize} leaves`,
    );
  }
  return copy.target.importer.importCheckpoints(log, checkpoints);
}
