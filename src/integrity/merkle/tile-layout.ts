import type { LeafRange } from './merkle-ranges.js';
import type { SubtreeHashes } from './merkle-proofs.js';
import { nodeHash } from './rfc6962-hashing.js';

/**
 * The C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) of a tree's stored hashes: a tile of
 * level L and index N holds, in order, the roots of the complete subtrees of 2^(h·L) leaves numbered
 * N·2^h to N·2^h + 2^h − 1, h being the tile height (8 in the spec: 256 hashes a tile). Level 0
 * holds the leaf hashes. Every other node's hash is computed from at most 2^(h−1) hashes of one
 * tile, so a proof at any size reads a few tiles.
 */

/** The spec's tile height: 2^8 = 256 hashes a full tile. */
export const TILE_HEIGHT = 8;

/** A tile's place: its level and index. */
export interface TileAddress {
  level: number;
  index: number;
}

/** Where the root of complete subtree `block` is found: a tile, and the entries of it to fold. */
export interface TileSpan {
  tile: TileAddress;
  /** First entry of the tile, and how many (a power of two below 2^height). */
  offset: number;
  count: number;
}

/** Locates the root of the complete subtree `block` (a power-of-two block aligned on its size). */
export function tileSpan(block: LeafRange, height = TILE_HEIGHT): TileSpan {
  const size = block.end - block.start;
  const bits = Math.log2(size);
  if (!Number.isInteger(bits) || block.start % size !== 0) {
    throw new RangeError(`[${block.start}, ${block.end}) is not a complete subtree`);
  }
  const level = Math.floor(bits / height);
  const leavesPerEntry = 2 ** (height * level);
  const first = block.start / leavesPerEntry;
  const perTile = 2 ** height;
  return {
    tile: { level, index: Math.floor(first / perTile) },
    offset: first % perTile,
    count: size / leavesPerEntry,
  };
}

/** Reads the hashes of a tile: all it holds so far (a partial tile holds its first entries). */
export type TileReader = (tile: TileAddress) => Promise<readonly Buffer[]>;

/** Subtree roots computed from stored tiles (see tileSpan): the source a store's proofs are made from. */
export class TileHashes implements SubtreeHashes {
  constructor(
    private readonly read: TileReader,
    private readonly height = TILE_HEIGHT,
  ) {}

  async subtree(block: LeafRange): Promise<Buffer> {
    const { tile, offset, count } = tileSpan(block, this.height);
    const hashes = (await this.read(tile)).slice(offset, offset + count);
    if (hashes.length !== count) {
      throw new RangeError(
        `tile ${tile.level}/${tile.index} does not hold [${block.start}, ${block.end}) yet`,
      );
    }
    // The entries are the leaves of a perfect subtree: hash them pairwise, level by level.
    let level = hashes;
    while (level.length > 1) {
      level = Array.from({ length: level.length / 2 }, (_, i) =>
        nodeHash(level[2 * i] as Buffer, level[2 * i + 1] as Buffer),
      );
    }
    return level[0] as Buffer;
  }
}
