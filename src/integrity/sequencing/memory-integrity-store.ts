/**
 * The IntegrityStore of the in-memory mode (and of unit tests): logs, tiles and checkpoints in
 * maps, with the same invariants and atomicity as the durable stores. Every method checks all it
 * must before changing anything, and none awaits in between, so each is one atomic step.
 */
import { EMPTY_ROOT, HASH_BYTES } from '../merkle/rfc6962-hashing.js';
import type { TileAddress } from '../merkle/tile-layout.js';
import type {
  IntegrityStore,
  LogId,
  LogState,
  LogStatus,
  StoredCheckpoint,
  StoredTile,
  TreeUpdate,
} from './integrity-store.js';

/** Entries of a full tile. */
const TILE_WIDTH = 256;

interface MemoryLog {
  id: LogId;
  assigned: number;
  treeSize: number;
  root: Buffer;
  /** Tiles by `level/index`. */
  tiles: Map<string, Buffer>;
  /** Checkpoints by size ascending (sizes only grow, so appending keeps the order). */
  checkpoints: StoredCheckpoint[];
}

const tileKey = ({ level, index }: TileAddress) => `${level}/${index}`;
const copyCheckpoint = (checkpoint: StoredCheckpoint): StoredCheckpoint => ({
  ...checkpoint,
  root: Buffer.from(checkpoint.root),
});

/** An IntegrityStore in memory. Leaves are numbered by assignLeaves(), the in-memory mode's writer's call. */
export class MemoryIntegrityStore implements IntegrityStore {
  private readonly logs = new Map<string, MemoryLog>();

  /**
   * Numbers `count` new leaves of `log` (count ≥ 0); returns the index of the first. What the
   * in-memory store does as it commits rows, as the durable stores do in their own transactions.
   */
  assignLeaves(log: LogId, count: number): number {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`not a leaf count: ${count}`);
    const state = this.log(log, count > 0);
    const first = state?.assigned ?? 0;
    if (state !== undefined) state.assigned += count;
    return first;
  }

  /** Every stored tile of `log` (copies), by level then index: for inspection and tests. */
  storedTiles(log: LogId): StoredTile[] {
    const tiles = [...(this.log(log)?.tiles ?? new Map<string, Buffer>())].map(([key, hashes]) => {
      const [level = 0, index = 0] = key.split('/').map(Number);
      return { level, index, hashes: Buffer.from(hashes) };
    });
    return tiles.sort((a, b) => a.level - b.level || a.index - b.index);
  }

  logState(log: LogId): Promise<LogState> {
    const state = this.log(log);
    return Promise.resolve(
      state === undefined
        ? { assigned: 0, treeSize: 0, root: Buffer.from(EMPTY_ROOT) }
        : { assigned: state.assigned, treeSize: state.treeSize, root: Buffer.from(state.root) },
    );
  }

  logStates(): Promise<LogStatus[]> {
    const byId = (a: MemoryLog, b: MemoryLog) =>
      compare(a.id.tenantId, b.id.tenantId) || compare(a.id.kind, b.id.kind);
    return Promise.resolve(
      [...this.logs.values()]
        .filter((state) => state.assigned > 0)
        .sort(byId)
        .map((state) => ({
          tenantId: state.id.tenantId,
          kind: state.id.kind,
          assigned: state.assigned,
          treeSize: state.treeSize,
          root: Buffer.from(state.root),
        })),
    );
  }

  readTiles(log: LogId, tiles: readonly TileAddress[]): Promise<(Buffer | undefined)[]> {
    const stored = this.log(log)?.tiles;
    return Promise.resolve(
      tiles.map((tile) => {
        const hashes = stored?.get(tileKey(tile));
        return hashes === undefined ? undefined : Buffer.from(hashes);
      }),
    );
  }

  appendTree(log: LogId, update: TreeUpdate): Promise<boolean> {
    const state = this.log(log);
    const treeSize = state?.treeSize ?? 0;
    if (update.expectedSize !== treeSize) return Promise.resolve(false);
    const assigned = state?.assigned ?? 0;
    if (!Number.isSafeInteger(update.size) || update.size <= treeSize || update.size > assigned) {
      return Promise.reject(
        new RangeError(`a tree of ${update.size} leaves after ${treeSize}, with ${assigned} assigned`),
      );
    }
    if (update.root.length !== HASH_BYTES) return Promise.reject(new RangeError('a root is 32 bytes'));
    const tiles = (state as MemoryLog).tiles;
    for (const tile of update.tiles) {
      const stored = tiles.get(tileKey(tile));
      const width = tile.hashes.length / HASH_BYTES;
      const fits =
        Number.isSafeInteger(tile.level) &&
        Number.isSafeInteger(tile.index) &&
        Math.min(tile.level, tile.index) >= 0 &&
        Number.isInteger(width) &&
        width > tile.previousWidth &&
        width <= TILE_WIDTH;
      const grows =
        (stored?.length ?? 0) === tile.previousWidth * HASH_BYTES &&
        (stored === undefined || tile.hashes.subarray(0, stored.length).equals(stored));
      if (!fits || !grows) {
        return Promise.reject(
          new Error(`tile ${tileKey(tile)}: ${width} hashes do not extend the ${tile.previousWidth} stored`),
        );
      }
    }
    for (const tile of update.tiles) tiles.set(tileKey(tile), Buffer.from(tile.hashes));
    Object.assign(state as MemoryLog, { treeSize: update.size, root: Buffer.from(update.root) });
    return Promise.resolve(true);
  }

  latestCheckpoint(log: LogId): Promise<StoredCheckpoint | undefined> {
    const latest = this.log(log)?.checkpoints.at(-1);
    return Promise.resolve(latest && copyCheckpoint(latest));
  }

  checkpointAt(log: LogId, size: number): Promise<StoredCheckpoint | undefined> {
    const found = this.log(log)?.checkpoints.find((checkpoint) => checkpoint.size === size);
    return Promise.resolve(found && copyCheckpoint(found));
  }

  listCheckpoints(log: LogId, afterSize: number, limit: number): Promise<StoredCheckpoint[]> {
    const all = this.log(log)?.checkpoints ?? [];
    return Promise.resolve(
      all
        .filter((checkpoint) => checkpoint.size > afterSize)
        .slice(0, Math.max(0, limit))
        .map(copyCheckpoint),
    );
  }

  storeCheckpoint(
    log: LogId,
    checkpoint: StoredCheckpoint,
    expectedLatest: number | undefined,
  ): Promise<boolean> {
    if (
      !Number.isSafeInteger(checkpoint.size) ||
      checkpoint.size < 0 ||
      checkpoint.root.length !== HASH_BYTES
    ) {
      return Promise.reject(new RangeError(`not a checkpoint: size ${checkpoint.size}`));
    }
    const latest = this.log(log)?.checkpoints.at(-1)?.size;
    if (latest !== expectedLatest || (latest !== undefined && checkpoint.size <= latest)) {
      return Promise.resolve(false);
    }
    (this.log(log, true) as MemoryLog).checkpoints.push(copyCheckpoint(checkpoint));
    return Promise.resolve(true);
  }

  /** The log's record; created (empty) when `create`, else undefined for a log never written. */
  private log(id: LogId, create = false): MemoryLog | undefined {
    const key = JSON.stringify([id.tenantId, id.kind]);
    let state = this.logs.get(key);
    if (state === undefined && create) {
      state = {
        id: { tenantId: id.tenantId, kind: id.kind },
        assigned: 0,
        treeSize: 0,
        root: Buffer.from(EMPTY_ROOT),
        tiles: new Map(),
        checkpoints: [],
      };
      this.logs.set(key, state);
    }
    return state;
  }
}

/** Orders strings by their UTF-8 bytes, as the port promises (and as SQL stores compare them). */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
