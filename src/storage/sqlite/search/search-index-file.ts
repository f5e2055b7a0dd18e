import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * The trigram index of operate_content lives in a database file of its own beside the store, so
 * that a worker thread can write it while the store's connection writes the logs: SQLite allows
 * one writer per file, and the two would otherwise take turns on one lock. The index is derived
 * data: it can be deleted at any time and is rebuilt from the store.
 */

/** The search file of the store at `storePath`: `sealog.db` → `sealog.db.search`. */
export function searchFilePath(storePath: string): string {
  return `${storePath}.search`;
}

/**
 * Contentless (the text stays in the store), with contentless_delete so that entries past the
 * store's last row can be dropped. `search_index_state` holds the store token the index was built
 * from and the highest operate_logs.seq it covers (the watermark); both change only in the same
 * transactions as the index, so the file is always consistent with itself. Its `generation` grows
 * with every erasure that removed entries: an indexing step that read rows before it (their text
 * not cleared yet) sees the change and writes nothing.
 */
const SCHEMA = `
  CREATE VIRTUAL TABLE IF NOT EXISTS operate_logs_fts USING fts5(
    operate_content, content = '', contentless_delete = 1, tokenize = 'trigram');
  CREATE TABLE IF NOT EXISTS search_index_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    store_token     TEXT    NOT NULL,
    indexed_through INTEGER NOT NULL,
    generation      INTEGER NOT NULL DEFAULT 0
  );
`;

/** What opening the search file found and did (tests check it). */
export type SearchFileOutcome =
  | 'current'
  /** New file, or one built from another store: the index starts from the first row. */
  | 'rebuilding'
  /** The store lost its newest rows (restored from a copy): entries past its last row dropped. */
  | 'trimmed';

/**
 * Creates or checks the search file of the store at `storePath`, whose migrated connection is
 * `store`, and leaves it consistent with the store: an index built from another store (another
 * token) is emptied, and entries past the store's last row are dropped, so that a row stored later
 * under a reused seq is never taken as indexed. A search file SQLite cannot read (damaged, or not
 * a database) is deleted and built anew: it holds nothing the store does not. Call it while
 * `store` writes nothing.
 */
export function prepareSearchFile(store: Database.Database, storePath: string): SearchFileOutcome {
  const token = store.prepare('SELECT token FROM search_index_identity').pluck().get() as string;
  const lastSeq = store.prepare('SELECT coalesce(max(seq), 0) FROM operate_logs').pluck().get() as number;
  const path = searchFilePath(storePath);
  try {
    return reconcile(path, token, lastSeq);
  } catch (error) {
    if (!isUnreadableFile(error)) throw error;
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    return reconcile(path, token, lastSeq);
  }
}

function isUnreadableFile(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT'))
  );
}

function reconcile(path: string, token: string, lastSeq: number): SearchFileOutcome {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db
      .transaction((): SearchFileOutcome => {
        db.exec(SCHEMA);
        addGenerationColumn(db);
        const state = db.prepare('SELECT store_token, indexed_through FROM search_index_state').get() as
          { store_token: string; indexed_through: number } | undefined;
        if (state?.store_token !== token) {
          db.exec(
            "INSERT INTO operate_logs_fts (operate_logs_fts) VALUES ('delete-all'); DELETE FROM search_index_state",
          );
          db.prepare(
            'INSERT INTO search_index_state (id, store_token, indexed_through) VALUES (1, ?, 0)',
          ).run(token);
          return 'rebuilding';
        }
        if (state.indexed_through <= lastSeq) return 'current';
        db.prepare('DELETE FROM operate_logs_fts WHERE rowid > ?').run(lastSeq);
        db.prepare('UPDATE search_index_state SET indexed_through = ?').run(lastSeq);
        return 'trimmed';
      })
      .immediate();
  } finally {
    db.close();
  }
}

/** Adds `generation` to a search file made before erasure existed. */
function addGenerationColumn(db: Database.Database): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('search_index_state');
  if (!columns.includes('generation')) {
    db.exec('ALTER TABLE search_index_state ADD COLUMN generation INTEGER NOT NULL DEFAULT 0');
  }
}
