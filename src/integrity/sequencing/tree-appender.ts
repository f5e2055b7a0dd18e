/**
 * Appending leaves to a tree stored as C2SP tlog-tiles (merkle/tile-layout.ts), without I/O: from
 * a tree's size and its right-edge partial tiles, the tile rows a batch of leaf hashes writes, the
 * new size and root. Pure and deterministic: a sequencer reads the edge, appends, and stores the
 * result with IntegrityStore.appendTree (CAS on the size); both stores run this same code, so the
 * same leaves give the same tiles and roots everywhere.
 */
import { CompactRange, type CompactSubtree } from '../merkle/compact-range.js';
import { HASH_BYTES, nodeHash } from '../merkle/rfc6962-hashing.js';
import { TILE_HEIGHT, type TileAddress } from '../merkle/tile-layout.js';
import type { StoredTile, TileWrite, TreeUpdate } from './integrity-store.js';

/** Entries of a full tile (2^8). */
const TILE_WIDTH = 2 ** TILE_HEIGHT;

/** The level of the tiles whose entries are subtrees of `size` leaves, for sizes 256^L (L < 7). */
const LEVEL_OF_ENTRY_SIZE = new Map(Array.from({ length: 7 }, (_, level) => [TILE_WIDTH ** level, level]));

/** A right-edge tile's place and how many entries a tree of some size holds in it (1…255). */
export interface EdgeTile extends TileAddress {
  width: number;
}

/**
 * The partial tiles at the right edge of a tree of `size` leaves, bottom level first: at level L,
 * tile ⌊size / 256^(L+1)⌋ of width ⌊size / 256^L⌋ mod 256, when that width is not 0. These are
 * exactly the rows TreeAppender.resume needs (none for size 0; a size that is a multiple of 256^L
 * has no partial tile at levels below L). Throws on a size that is not a safe non-negative integer.
 */
export function edgeTiles(size: number): EdgeTile[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a tree size: ${size}`);
  const tiles: EdgeTile[] = [];
  // Divisions by powers of two are exact in doubles, so flooring them is too.
  for (let level = 0, perEntry = 1; perEntry <= size; level++, perEntry *= TILE_WIDTH) {
    const entries = Math.floor(size / perEntry);
    const width = entries % TILE_WIDTH;
    if (width > 0) tiles.push({ level, index: Math.floor(entries / TILE_WIDTH), width });
  }
  return tiles;
}

/** Raised when the tiles given to resume a tree are not its right edge: a store out of step with itself. */
export class TreeEdgeError extends Error {
  override readonly name = 'TreeEdgeError';
}

/** What appending a batch of leaves gives: the update to store, and the appender to continue from. */
export interface TreeAppend {
  /** Tiles to write (full ones and each level's new partial one), new size and root, CAS on the old size. */
  update: TreeUpdate;
  /** The tree after the update, to append the next batch once the update is stored. */
  next: TreeAppender;
}

/**
 * A tree's right edge: its size, the roots of its complete subtrees (a compact range) and its
 * partial tiles. Immutable: append() returns the next appender, so a failed store (CAS lost, I/O
 * error) leaves this one valid to retry or to drop. Appending k leaves costs about k node hashes
 * plus O(log size); resuming from stored tiles costs up to 255 node hashes per level, which a
 * sequencer that keeps `next` between its passes pays once.
 */
export class TreeAppender {
  private constructor(
    /** Leaves in the tree. */
    readonly size: number,
    private readonly subtrees: readonly CompactSubtree[],
    /** The partial tile of each level that has one, as stored. */
    private readonly edge: ReadonlyMap<number, StoredTile>,
  ) {}

  /** The appender of an empty tree. */
  static empty(): TreeAppender {
    return new TreeAppender(0, [], new Map());
  }

  /**
   * Resumes a tree of `size` leaves from its right-edge tiles as stored (those edgeTiles(size)
   * names, in any order). Throws TreeEdgeError when a tile is missing, extra, or of another width.
   * Its root() should then equal the stored root: a cheap check that tiles and root agree.
   */
  static resume(size: number, tiles: readonly StoredTile[]): TreeAppender {
    const expected = edgeTiles(size);
    if (tiles.length !== expected.length) {
      throw new TreeEdgeError(
        `a tree of ${size} leaves has ${expected.length} partial tiles, not ${tiles.length}`,
      );
    }
    const edge = new Map<number, StoredTile>();
    for (const want of expected) {
      const tile = tiles.find((candidate) => candidate.level === want.level);
      if (tile?.index !== want.index || tile.hashes.length !== want.width * HASH_BYTES) {
        throw new TreeEdgeError(
          `a tree of ${size} leaves ends in tile ${want.level}/${want.index} of ${want.width} hashes`,
        );
      }
      edge.set(want.level, { level: tile.level, index: tile.index, hashes: Buffer.from(tile.hashes) });
    }
    // The edge's complete subtrees, largest first: the binary digits of each level's width, top
    // level first, each folded from its run of tile entries.
    const subtrees: CompactSubtree[] = [];
    for (const { level, width } of expected.reverse()) {
      const hashes = (edge.get(level) as StoredTile).hashes;
      let offset = 0;
      for (let count = TILE_WIDTH / 2; count >= 1; count /= 2) {
        if ((width & count) === 0) continue;
        subtrees.push({ size: count * TILE_WIDTH ** level, hash: perfectRoot(hashes, offset, count) });
        offset += count;
      }
    }
    return new TreeAppender(size, subtrees, edge);
  }

  /** The tree's root (32 bytes), folded from its complete subtrees: O(log size) hashes. */
  root(): Buffer {
    return CompactRange.fromSubtrees(this.subtrees).root();
  }

  /**
   * Appends `leafHashes` (32 bytes each, in leaf order). The update writes every tile the batch
   * completes (with the entries already stored, when it completes the old partial tile) and the
   * new partial tile of each level it reaches; tiles it does not touch are not written. An empty
   * batch gives an update with no tile and the same size.
   */
  append(leafHashes: readonly Buffer[]): TreeAppend {
    const range = CompactRange.fromSubtrees(this.subtrees);
    const edge = new Map(this.edge);
    /** Per level, the tile being filled: its stored part (if any) and the entries this batch adds. */
    const open = new Map<number, { index: number; stored: Buffer; added: Buffer[] }>();
    const tiles: TileWrite[] = [];
    const flush = (level: number, tile: { index: number; stored: Buffer; added: Buffer[] }): StoredTile => {
      const hashes = Buffer.concat([tile.stored, ...tile.added]);
      tiles.push({ level, index: tile.index, hashes, previousWidth: tile.stored.length / HASH_BYTES });
      return { level, index: tile.index, hashes };
    };
    const completed = (start: number, size: number, root: Buffer): void => {
      const level = LEVEL_OF_ENTRY_SIZE.get(size);
      if (level === undefined) return;
      const entry = start / size;
      const index = Math.floor(entry / TILE_WIDTH);
      let tile = open.get(level);
      if (tile === undefined) {
        // The first entry of this batch at this level: it extends the stored partial tile, if any.
        const stored = edge.get(level);
        tile = { index, stored: stored?.index === index ? stored.hashes : Buffer.alloc(0), added: [] };
        open.set(level, tile);
      }
      const position = tile.stored.length / HASH_BYTES + tile.added.length;
      if (tile.index !== index || position !== entry % TILE_WIDTH) {
        throw new TreeEdgeError(`entry ${entry} of level ${level} does not follow the stored tiles`);
      }
      tile.added.push(root);
      if (position + 1 === TILE_WIDTH) {
        flush(level, tile);
        edge.delete(level);
        open.set(level, { index: index + 1, stored: Buffer.alloc(0), added: [] });
      }
    };
    for (const hash of leafHashes) {
      if (hash.length !== HASH_BYTES) throw new RangeError(`a leaf hash is 32 bytes, not ${hash.length}`);
      range.append(hash, completed);
    }
    for (const [level, tile] of open) {
      if (tile.added.length > 0) {
        const written = flush(level, tile);
        edge.set(level, { ...written, hashes: Buffer.from(written.hashes) });
      }
    }
    // Copies: a root or a subtree of one leaf is the caller's own leaf hash buffer.
    const subtrees = range.subtreeRoots().map(({ size, hash }) => ({ size, hash: Buffer.from(hash) }));
    return {
      update: { expectedSize: this.size, size: range.size, root: Buffer.from(range.root()), tiles },
      next: new TreeAppender(range.size, subtrees, edge),
    };
  }
}

/** The root of the perfect subtree over `count` (a power of two) tile entries from entry `offset`. */
function perfectRoot(hashes: Buffer, offset: number, count: number): Buffer {
  let level = Array.from({ length: count }, (_, i) =>
    hashes.subarray((offset + i) * HASH_BYTES, (offset + i + 1) * HASH_BYTES),
  );
  while (level.length > 1) {
    level = Array.from({ length: level.length / 2 }, (_, i) =>
      nodeHash(level[2 * i] as Buffer, level[2 * i + 1] as Buffer),
    );
  }
  // A copy: the tile's buffer may be reused by its owner.
  return Buffer.from(level[0] as Buffer);
}
