/**
 * Subtree roots of stored trees (the SubtreeHashes proofs are made from) read from their tiles
 * through an LRU shared by every log: what serves proofs at any tree size with a few tile reads,
 * most of them hits. Hashes never change once stored, so a cached tile is never stale, only
 * possibly short: a full tile serves forever, a partial one every subtree within its width, and a
 * subtree beyond it re-reads the tile (which a store grows in place).
 */
import { LRUCache } from 'lru-cache';
import type { LeafRange } from './merkle-ranges.js';
import type { SubtreeHashes } from './merkle-proofs.js';
import { HASH_BYTES, nodeHash } from './rfc6962-hashing.js';
import { TILE_HEIGHT, tileSpan, type TileAddress } from './tile-layout.js';

/** Entries of a full tile. */
const TILE_WIDTH = 2 ** TILE_HEIGHT;
/** What a cached tile costs beyond its hashes: the memo of its inner nodes and bookkeeping. */
const TILE_OVERHEAD_BYTES = TILE_WIDTH * HASH_BYTES + TILE_WIDTH + 256;

/**
 * Reads tiles of one log in one round trip: for each address, in order, its hashes as stored
 * (32·W bytes for W entries so far) or undefined when it is not stored. IntegrityStore.readTiles
 * with the log bound is one. The cache keeps the buffers it is given: a reader must not reuse them.
 */
export type TileBatchReader = (tiles: readonly TileAddress[]) => Promise<readonly (Buffer | undefined)[]>;

/** Raised when a tile read back disagrees with the hashes cached for it: stored hashes were altered. */
export class TileChangedError extends Error {
  override readonly name = 'TileChangedError';
}

/** A tile's hashes with a memo of the perfect subtrees over its entries, heap-numbered (root 1). */
class CachedTile {
  private nodes: Buffer | undefined;
  private known: Uint8Array | undefined;

  constructor(public hashes: Buffer) {}

  get width(): number {
    return this.hashes.length / HASH_BYTES;
  }

  /** The root over `count` entries (a power of two) from `offset`, which the tile must hold. */
  root(offset: number, count: number): Buffer {
    // Node of height h over entries [p·2^h, (p+1)·2^h) is number 2^(8−h) + p; entries are 256…511.
    return Buffer.from(this.node(TILE_WIDTH / count + offset / count));
  }

  private node(number: number): Buffer {
    if (number >= TILE_WIDTH) {
      const entry = number - TILE_WIDTH;
      return this.hashes.subarray(entry * HASH_BYTES, (entry + 1) * HASH_BYTES);
    }
    this.nodes ??= Buffer.alloc(TILE_WIDTH * HASH_BYTES);
    this.known ??= new Uint8Array(TILE_WIDTH);
    const at = number * HASH_BYTES;
    if (this.known[number] === 1) return this.nodes.subarray(at, at + HASH_BYTES);
    const hash = nodeHash(this.node(2 * number), this.node(2 * number + 1));
    hash.copy(this.nodes, at);
    this.known[number] = 1;
    return hash;
  }
}

/** Options of a TileCache. */
export interface TileCacheOptions {
  /** Bytes of tiles kept, about 16 KiB per full tile with its memo; default 64 MiB (~4,000 tiles). */
  maxBytes?: number;
}

/**
 * The LRU of tiles of every log of a process. Full tiles are immutable and are dropped only to
 * make room; partial tiles are kept with their width and re-read when a subtree lies beyond it.
 */
export class TileCache {
  private readonly tiles: LRUCache<string, CachedTile>;
  /** Tiles read from stores, and the round trips that read them: for metrics and tests. */
  readonly stats = { tilesRead: 0, reads: 0 };

  constructor(options: TileCacheOptions = {}) {
    this.tiles = new LRUCache<string, CachedTile>({
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (tile) => tile.hashes.length + TILE_OVERHEAD_BYTES,
    });
  }

  /**
   * The subtree roots of one log, read through `read` and cached under `log`: any string naming
   * the log uniquely in this process (e.g. JSON.stringify([tenantId, kind])). Cheap: make one per
   * request if convenient; the subtrees one proof asks for at once are read in a single batch.
   */
  log(log: string, read: TileBatchReader): SubtreeHashes {
    return new CachedTileHashes(
      {
        get: (key) => this.tiles.get(key),
        merge: (key, hashes) => this.merge(key, hashes),
        counted: (tiles) => {
          this.stats.reads++;
          this.stats.tilesRead += tiles;
        },
      },
      `${log}\u0000`,
      read,
    );
  }

  /**
   * Merges a tile just read into the cache: the longer of the two versions wins, after checking
   * that the shorter is its prefix. Returns what is now known of the tile.
   */
  private merge(key: string, hashes: Buffer): CachedTile {
    const cached = this.tiles.get(key);
    if (cached === undefined) {
      const tile = new CachedTile(hashes);
      if (hashes.length > 0) this.tiles.set(key, tile);
      return tile;
    }
    const [short, long] =
      hashes.length < cached.hashes.length ? [hashes, cached.hashes] : [cached.hashes, hashes];
    if (!long.subarray(0, short.length).equals(short)) {
      throw new TileChangedError(`tile ${key.replace('\u0000', ' ')}: stored hashes changed`);
    }
    if (hashes.length > cached.hashes.length) {
      // The memo stays valid: it only holds subtrees within the old width, which did not change.
      cached.hashes = hashes;
      this.tiles.set(key, cached);
    }
    return cached;
  }
}

/** What a log's view uses of its TileCache. */
interface SharedTiles {
  get(key: string): CachedTile | undefined;
  merge(key: string, hashes: Buffer): CachedTile;
  /** Counts a round trip reading `tiles` tiles. */
  counted(tiles: number): void;
}

/** One log's view of a TileCache. */
class CachedTileHashes implements SubtreeHashes {
  /** Tiles asked for in the current tick, read together on the next microtask. */
  private batch = new Map<string, { tile: TileAddress; loaded: Promise<CachedTile> }>();
  private settle: ((tiles: readonly (Buffer | undefined)[] | Error) => void)[] = [];

  constructor(
    private readonly cache: SharedTiles,
    private readonly prefix: string,
    private readonly read: TileBatchReader,
  ) {}

  async subtree(block: LeafRange): Promise<Buffer> {
    const { tile, offset, count } = tileSpan(block);
    const key = `${this.prefix}${tile.level}/${tile.index}`;
    const covers = (cached: CachedTile | undefined): cached is CachedTile =>
      cached !== undefined && cached.width >= offset + count;
    const cached = this.cache.get(key);
    if (covers(cached)) return cached.root(offset, count);
    const loaded = await this.load(key, tile);
    if (!covers(loaded)) {
      throw new RangeError(
        `tile ${tile.level}/${tile.index} does not hold [${block.start}, ${block.end}) yet`,
      );
    }
    return loaded.root(offset, count);
  }

  /** Reads tile `key` with the others asked for in this tick. */
  private load(key: string, tile: TileAddress): Promise<CachedTile> {
    const pending = this.batch.get(key);
    if (pending !== undefined) return pending.loaded;
    const position = this.batch.size;
    if (position === 0) {
      queueMicrotask(() => {
        this.flush();
      });
    }
    const loaded = new Promise<CachedTile>((resolve, reject) => {
      this.settle.push((tiles) => {
        try {
          if (tiles instanceof Error) throw tiles;
          const hashes = tiles[position] ?? Buffer.alloc(0);
          if (hashes.length % HASH_BYTES !== 0 || hashes.length > TILE_WIDTH * HASH_BYTES) {
            throw new RangeError(`tile ${tile.level}/${tile.index} is stored with ${hashes.length} bytes`);
          }
          resolve(this.cache.merge(key, hashes));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    this.batch.set(key, { tile, loaded });
    return loaded;
  }

  private flush(): void {
    const tiles = [...this.batch.values()].map(({ tile }) => tile);
    const settle = this.settle;
    // A tile asked for after this point is read again: it may have grown since this read began.
    this.batch = new Map();
    this.settle = [];
    this.cache.counted(tiles.length);
    const done = (result: readonly (Buffer | undefined)[] | Error) => {
      for (const one of settle) one(result);
    };
    let reading: Promise<readonly (Buffer | undefined)[]>;
    try {
      reading = this.read(tiles);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    reading.then(
      (result) => {
        done(
          result.length === tiles.length
            ? result
            : new Error(`read ${result.length} of ${tiles.length} tiles`),
        );
      },
      (error: unknown) => {
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}
