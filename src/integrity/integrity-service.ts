import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { adminReadScope } from '../domain/tenancy.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { CheckpointScheduler } from './checkpoints/checkpoint-scheduler.js';
import type { CheckpointSigner } from './checkpoints/checkpoint-signer.js';
import type { IntegrityLog } from './integrity-log.js';
import { consistencyProof, inclusionProof } from './merkle/merkle-proofs.js';
import type { TileCache } from './merkle/tile-cache.js';
import { logKey, type LogId } from './sequencing/integrity-store.js';

/** The kinds whose logs the API serves, as they appear in its paths. */
export const LOG_KIND_NAMES = LOG_TABLES.map((table) => table.kind);

/** How a record is named: by id (and transition number), or by leaf index. */
export type LeafQuery = { id: string; transition: number } | { leafIndex: number };

/** An inclusion proof against a signed checkpoint, as the API answers it. */
export interface InclusionAnswer {
  leafIndex: number;
  treeSize: number;
  leaf: Buffer;
  proof: Buffer[];
  checkpoint: string;
}

/**
 * The integrity log as the API offers it to admins: checkpoints, keys, inclusion and consistency
 * proofs against signed checkpoints, and leaves, for the admins of a tenant (platform admins name
 * the tenant; without one they read the platform's own access log, tenant '').
 */
export class IntegrityService {
  constructor(
    private readonly log: IntegrityLog,
    private readonly signer: CheckpointSigner,
    private readonly scheduler: Pick<CheckpointScheduler, 'signNow'>,
    private readonly tiles: TileCache,
    /** CHECKPOINT_INTERVAL in ms: when a record not yet in a checkpoint will be. */
    private readonly checkpointIntervalMs: number,
  ) {}

  /** The log `principal` may read: `kind` of its tenant, or of `tenantId` for a platform admin. */
  scope(principal: Principal, kind: string, tenantId: string | undefined): LogId {
    if (!LOG_KIND_NAMES.includes(kind)) throw new NotFoundError(`there is no ${kind} log`);
    const scope = adminReadScope(principal, tenantId);
    return { tenantId: scope.tenantId ?? '', kind };
  }

  /** The latest signed checkpoint, byte for byte; NotFoundError before the first. */
  async checkpoint(log: LogId): Promise<string> {
    const latest = await this.log.latestCheckpoint(log);
    if (latest === undefined) {
      throw new NotFoundError(
        `the ${describe(log)} has no checkpoint yet: POST to this path signs one, or wait for the next (every ${this.checkpointIntervalMs / 1000} s)`,
      );
    }
    return latest.note;
  }

  /** Signs a checkpoint now (or answers the latest when the log did not grow). */
  async sign(log: LogId): Promise<{ note: string; created: boolean }> {
    const signed = await this.scheduler.signNow(log);
    return { note: signed.note, created: signed.created };
  }

  /** The log's origin and verifier key. */
  key(log: LogId): { origin: string; verifierKey: string } {
    return this.signer.verifierKey(log);
  }

  /**
   * The leaf named by `query`, with an RFC 9162 inclusion proof against the latest checkpoint.
   * 404 for a record the store does not have; 409 (with when to retry) for one not yet numbered
   * or not yet covered by a checkpoint.
   */
  async inclusion(log: LogId, query: LeafQuery): Promise<InclusionAnswer> {
    const leafIndex =
      'leafIndex' in query ? query.leafIndex : await this.leafOf(log, query.id, query.transition);
    const latest = await this.log.latestCheckpoint(log);
    const covered = latest?.size ?? 0;
    if (latest === undefined || leafIndex >= covered) {
      const state = await this.log.logState(log);
      if ('leafIndex' in query && leafIndex >= state.assigned) {
        throw new NotFoundError(
          `the ${describe(log)} has ${state.assigned} leaves: there is no leaf ${leafIndex}`,
        );
      }
      throw new ConflictError(
        `leaf ${leafIndex} of the ${describe(log)} is in no checkpoint yet (the latest covers ${covered} leaves); the next is signed within ${Math.ceil(this.checkpointIntervalMs / 1000)} s, or POST …/checkpoint signs one now`,
        Math.ceil(this.checkpointIntervalMs / 1000),
      );
    }
    const [leaf] = await this.log.leafBytes(log, leafIndex, leafIndex + 1);
    if (leaf === undefined) throw new Error(`leaf ${leafIndex} could not be read`);
    return {
      leafIndex,
      treeSize: latest.size,
      leaf,
      proof: await inclusionProof(this.tree(log), leafIndex, latest.size),
      checkpoint: latest.note,
    };
  }

  /** An RFC 9162 consistency proof between tree sizes `from` and `to` (0 < from ≤ to ≤ the latest checkpoint's). */
  async consistency(log: LogId, from: number, to: number): Promise<Buffer[]> {
    const latest = await this.log.latestCheckpoint(log);
    const covered = latest?.size ?? 0;
    if (from < 1 || from > to)
      throw new InvalidInputError(`from must be at least 1 and at most to (got ${from} and ${to})`);
    if (to > covered) {
      throw new ConflictError(
        `the latest checkpoint of the ${describe(log)} covers ${covered} leaves, fewer than to=${to}; retry after the next checkpoint`,
        Math.ceil(this.checkpointIntervalMs / 1000),
      );
    }
    return consistencyProof(this.tree(log), from, to);
  }

  /**
   * Leaves `start` … of the log, at most `limit`, never past the latest checkpoint, and up to the
   * first leaf a retention purge pruned (its record is gone; its hash stays in the tree).
   * NotFoundError when `start` itself was pruned, naming the next leaf that was not.
   */
  async leaves(log: LogId, start: number, limit: number): Promise<Buffer[]> {
    const covered = (await this.log.latestCheckpoint(log))?.size ?? 0;
    let end = Math.min(covered, start + limit);
    if (start >= end) return [];
    for (const [first, last] of await this.log.prunedRanges(log)) {
      if (last <= start || first >= end) continue;
      if (first <= start) {
        throw new NotFoundError(
          `leaves ${first}…${last - 1} of the ${describe(log)} were pruned by retention: their records are gone, ` +
            `their hashes stay in the tree (proofs of the rest still verify); read on from leaf ${last}`,
        );
      }
      end = first;
      break;
    }
    return this.log.leafBytes(log, start, end);
  }

  private async leafOf(log: LogId, recordId: string, transition: number): Promise<number> {
    const index = await this.log.findLeaf(log, recordId, transition);
    if (index !== undefined) return index;
    if (!(await this.log.hasRecord(log, recordId))) {
      throw new NotFoundError(`the ${describe(log)} has no record ${recordId}`);
    }
    const what = transition === 0 ? `record ${recordId}` : `transition ${transition} of ${recordId}`;
    if (transition > 0) {
      throw new NotFoundError(`${what} is not in the ${describe(log)}: the record has fewer transitions`);
    }
    throw new ConflictError(
      `${what} is not in the ${describe(log)} yet: it was stored a moment ago; retry in a second`,
      1,
    );
  }

  private tree(log: LogId) {
    return this.tiles.log(logKey(log), (tiles) => this.log.readTiles(log, tiles));
  }
}

function describe(log: LogId): string {
  return log.tenantId === '' ? `platform's ${log.kind} log` : `${log.kind} log of tenant ${log.tenantId}`;
}
