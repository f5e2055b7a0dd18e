import { rootHash } from '../integrity/merkle/merkle-proofs.js';
import { HASH_BYTES } from '../integrity/merkle/rfc6962-hashing.js';
import { TileHashes, type TileAddress } from '../integrity/merkle/tile-layout.js';
import type { LogId, LogStatus } from '../integrity/sequencing/integrity-store.js';
import { MissingLeafRowError } from '../integrity/leaves/leaf-builder.js';
import type { PgIntegrityStore } from '../storage/postgres/integrity/pg-integrity-store.js';
import type { PgLogImport } from '../storage/postgres/integrity/pg-log-import.js';
import type { SqliteExport } from '../storage/sqlite/sqlite-export.js';
import { CopyRefusedError } from './copy-keys.js';

/** The target of a copy: where rows go, and its integrity log to read back. */
export interface CopyTarget {
  importer: PgLogImport;
  integrity: PgIntegrityStore;
}

/** One source log to copy, and how much of it the target holds already. */
export interface LogPlan {
  log: LogStatus;
  /** Leaves the target has of it: the source's first ones, checked. */
  present: number;
}

/** Leaves compared per read where trees cannot be. */
const COMPARE_WINDOW = 2000;
/** Refusals named one by one; the rest are counted. */
const NAMED_REFUSALS = 10;

/**
 * Plans the copy of every log of the source, checking first, before anything is written, that the
 * target holds of each either nothing or the source's first leaves (a copy interrupted, or one the
 * source has grown since): the same leaves, every row of the log's kind and tenant among them. Any
 * other log of the same tenant and kind would have to be merged with the source's, which breaks
 * every proof of both: CopyRefusedError names each such log.
 */
export async function planCopy(source: SqliteExport, target: CopyTarget): Promise<LogPlan[]> {
  const logs = source.logStates();
  const rows = new Map<string, Map<string, number>>();
  for (const kind of new Set(logs.map((log) => log.kind))) {
    const tenants = logs.filter((log) => log.kind === kind).map((log) => log.tenantId);
    rows.set(kind, await target.importer.rowCounts(kind, tenants));
  }
  const plans: LogPlan[] = [];
  const refusals: string[] = [];
  for (const log of logs) {
    const state = await target.integrity.logState(log);
    const stored = rows.get(log.kind)?.get(log.tenantId) ?? 0;
    let problem: string | undefined;
    if (stored !== state.assigned) {
      problem = `${stored} rows stored and ${state.assigned} leaves numbered (a server writing to it, or rows altered)`;
    } else if (state.assigned > log.assigned) {
      problem = `${state.assigned} leaves, more than the source's ${log.assigned}`;
    } else if (state.assigned > 0) {
      problem = await firstDifference(source, target, log, state.assigned, state.treeSize);
    }
    if (problem === undefined) plans.push({ log, present: state.assigned });
    else refusals.push(`${log.kind} of tenant ${JSON.stringify(log.tenantId)}: ${problem}`);
  }
  if (refusals.length > 0) {
    const named = refusals.slice(0, NAMED_REFUSALS).join('; ');
    const more = refusals.length > NAMED_REFUSALS ? `; and ${refusals.length - NAMED_REFUSALS} more` : '';
    throw new CopyRefusedError(
      `the target holds other logs than the source's for ${refusals.length} tenant/kind pair(s), and merging ` +
        `two logs would break every proof of both; nothing was copied. Copy into a database or schema of its ` +
        `own. ${named}${more}`,
    );
  }
  return plans;
}

/**
 * Why the target's first `count` leaves of `log` are not the source's, or undefined when they
 * are: the roots of the part both trees hold, then the leaves beyond it one by one (at most a
 * batch and the source's hashing lag).
 */
async function firstDifference(
  source: SqliteExport,
  target: CopyTarget,
  log: LogStatus,
  count: number,
  targetTreeSize: number,
): Promise<string | undefined> {
  const hashed = Math.min(count, log.treeSize, targetTreeSize);
  if (hashed > 0) {
    const [theirs, ours] = await Promise.all([
      treeRoot((tiles) => source.readTiles(log, tiles), hashed),
      treeRoot((tiles) => target.integrity.readTiles(log, tiles), hashed),
    ]);
    if (!theirs.equals(ours)) return `its first ${hashed} leaves are not the source's (another root)`;
  }
  for (let start = hashed; start < count; start += COMPARE_WINDOW) {
    const end = Math.min(count, start + COMPARE_WINDOW);
    const expected = await source.leafBytes(log, start, end);
    let found: Buffer[];
    try {
      found = await target.integrity.leafBytes(log, start, end);
    } catch (error) {
      if (error instanceof MissingLeafRowError) return `leaf ${error.location.leafIndex} has no row`;
      throw error;
    }
    const differing = expected.findIndex((leaf, offset) => !leaf.equals(found[offset] ?? Buffer.alloc(0)));
    if (differing >= 0) return `leaf ${start + differing} is not the source's`;
  }
  return undefined;
}

/** Reads tiles as IntegrityStore.readTiles does. */
export type TileRows = (tiles: readonly TileAddress[]) => Promise<(Buffer | undefined)[]>;

/**
 * The root of the first `size` leaves of a tree from its stored tiles. `cache` keeps the tiles
 * read, for several roots of a tree that does not grow meanwhile.
 */
export function treeRoot(read: TileRows, size: number, cache = new Map<string, Buffer[]>()): Promise<Buffer> {
  return rootHash(
    new TileHashes(async (tile) => {
      const key = `${tile.level}/${tile.index}`;
      let hashes = cache.get(key);
      if (hashes === undefined) {
        const [stored] = await read([tile]);
        hashes = [];
        for (let offset = 0; offset + HASH_BYTES <= (stored?.length ?? 0); offset += HASH_BYTES) {
          hashes.push((stored as Buffer).subarray(offset, offset + HASH_BYTES));
        }
        cache.set(key, hashes);
      }
      return hashes;
    }),
    size,
  );
}

/** `log` for messages: kind and tenant. */
export function describeLog(log: LogId): string {
  return `${log.kind} log of tenant ${JSON.stringify(log.tenantId)}`;
}
