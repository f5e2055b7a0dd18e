import Database from 'better-sqlite3';

/**
 * A connection to the store file at `path` (or `:memory:`) as sealog uses every one: WAL, and
 * `synchronous = FULL` so that every acknowledged write survives a power cut.
 */
export function openStoreConnection(path: string): Database.Database {
  const db = new Database(path);
  // A new file only (before its first table; on another it would wait for the write lock to change
  // nothing): a retention purge can then give the pages it frees back to the file system
  // (purge-writes.ts); an older file reuses them for new rows.
  if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Deleted rows' bytes are zeroed where that costs no extra write (cells within pages written
  // anyway): a page split leaves no stale copy of a moved row. Erasure turns it fully on.
  db.pragma('secure_delete = FAST');
  // A reset WAL is truncated back to 64 MiB rather than keeping the size of its busiest moment.
  db.pragma('journal_size_limit = 67108864');
  return db;
}
