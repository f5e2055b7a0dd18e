import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { StoreWriter } from '../engine/store-writer.js';
import { SqliteIntegrityStore } from './sqlite-integrity-store.js';

/**
 * Bytes of the store file mapped into memory: verify walks its rows in leaf order, which is not
 * their order in the file, and a mapped page costs no read() call. SQLite caps it at its compiled
 * SQLITE_MAX_MMAP_SIZE (the rest of a larger file is read as usual).
 */
const SCAN_MMAP_BYTES = 2 ** 40;
/** Page cache of the scan connection, in KiB (negative: KiB rather than pages, as SQLite takes it). */
const SCAN_CACHE_KIB = 65_536;

/** The integrity log of a store file opened to be read only, and how to close it. */
export interface ReadOnlyIntegrity {
  integrity: SqliteIntegrityStore;
  close(): Promise<void>;
}

/** Writes on a read-only store: none is ever asked for (verify reads); refused should one be. */
const REFUSING_WRITER: StoreWriter = {
  run: () => Promise.reject(new Error('this store is open to be read only')),
  close: () => Promise.resolve(),
  queueDepth: () => 0,
  groupCommits: () => ({ groups: 0, writes: 0 }),
};

/**
 * The integrity log of the existing SQLite store at `path`, on one read-only connection made for
 * a scan of every row (sealog verify): no writer thread, no master keys, and nothing created —
 * throws an Error naming the path when there is no store file there. (A store in WAL mode gets its
 * -wal and -shm files if it has none, as for any reader.) A server may keep running on the file.
 */
export function openReadOnlyIntegrity(path: string): ReadOnlyIntegrity {
  if (path === ':memory:') throw new Error('an in-memory store (sqlite::memory:) holds nothing to verify');
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `there is no store file at ${path}: check DATABASE_URL (sqlite:PATH must name an existing store; sealog serve and sealog migrate create one)`
        : `cannot read ${path} (${code ?? String(error)}): check its permissions`,
    );
  }
  if (!isFile)
    throw new Error(`${path} is not a file: check DATABASE_URL (sqlite:PATH names the store's file)`);
  // fileMustExist: a file removed since the check is an error, not a new empty database.
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma(`mmap_size = ${SCAN_MMAP_BYTES}`);
    db.pragma(`cache_size = -${SCAN_CACHE_KIB}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    integrity: new SqliteIntegrityStore(db, REFUSING_WRITER),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
