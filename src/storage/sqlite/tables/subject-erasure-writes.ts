import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  SEARCH_COPIES,
  SUBJECT_COLUMNS,
  type ErasedKeys,
  type ErasureRequest,
} from '../../../sealing/subject-erasure.js';
import { OPERATE_LOG_TABLE } from '../../../kinds/operate-log/operate-log-table.js';
import { searchFilePath } from '../search/search-index-file.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { ScannedOperateLogs } from './subject-erasure-scan.js';

/** What the erasure's transaction did: the keys it destroyed and what needs scrubbing after it. */
export interface ErasedInStore extends ErasedKeys {
  /** seq of the subject's operate logs: their entries in the search file's trigram index go. */
  searchSeqs: number[];
}

const OPERATE_LOGS = OPERATE_LOG_TABLE.table;
const OPERATE_LOG_SUBJECT = OPERATE_LOG_TABLE.sealing.subject;

/** Tries of a WAL truncation while readers hold old snapshots, each after the busy timeout. */
const TRUNCATE_ATTEMPTS = 5;
/** How long one try of a truncating checkpoint waits for readers (and holds writers off), ms. */
const TRUNCATE_WAIT_MS = 250;
/** Something to Atomics.wait on: a pause between tries, in the writer's thread. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * The erasure's writes on the writing connection `db`: `erase` runs inside the writer's
 * transaction (keys deleted, search copies cleared, the erasure recorded); `scrub` runs after its
 * commit, outside any transaction, and removes the erased text from the search file and every
 * freed byte from both files' WALs.
 */
export function subjectErasureWrites(db: Database.Database): {
  erase(request: ErasureRequest, operateLogs: ScannedOperateLogs): ErasedInStore;
  scrub(searchSeqs: readonly number[], truncate: boolean): boolean;
} {
  const statements = new StatementCache(db);
  return {
    erase({ tenantId, subject, erasedBy, at }, operateLogs) {
      // ON, not FAST: a page the deletes empty is zeroed as it is freed, not left whole.
      db.pragma('secure_delete = ON');
      try {
        const keyIds = statements
          .prepare('DELETE FROM subject_keys WHERE tenant_id = ? AND subject = ? RETURNING key_id')
          .pluck()
          .all(tenantId, subject) as string[];
        // The rows the scan found that are still there, and the subject's rows stored since it.
        const searchSeqs = statements
          .prepare(
            `SELECT seq FROM ${OPERATE_LOGS}
              WHERE seq IN (SELECT value FROM json_each(?)) AND tenant_id = ? AND ${OPERATE_LOG_SUBJECT} = ?
             UNION ALL
             SELECT seq FROM ${OPERATE_LOGS} WHERE seq > ? AND tenant_id = ? AND ${OPERATE_LOG_SUBJECT} = ?`,
          )
          .pluck()
          .all(
            JSON.stringify(operateLogs.seqs),
            tenantId,
            subject,
            operateLogs.through,
            tenantId,
            subject,
          ) as number[];
        for (const copy of SEARCH_COPIES) {
          if (copy.table !== OPERATE_LOGS)
            throw new Error(`no erasure of the search copies of ${copy.table}`);
          statements
            .prepare(
              `UPDATE ${copy.table} SET ${copy.column} = NULL
                WHERE seq IN (SELECT value FROM json_each(?)) AND ${copy.column} IS NOT NULL`,
            )
            .run(JSON.stringify(searchSeqs));
        }
        const records: Record<string, number> = {};
        for (const { kind, table, subject: column } of SUBJECT_COLUMNS) {
          records[kind] =
            table === OPERATE_LOGS
              ? searchSeqs.length
              : (statements
                  .prepare(`SELECT count(*) FROM ${table} WHERE tenant_id = ? AND ${column} = ?`)
                  .pluck()
                  .get(tenantId, subject) as number);
        }
        if (keyIds.length > 0) {
          statements
            .prepare(
              `INSERT INTO subject_erasures (tenant_id, subject, key_ids, records, erased_at, erased_by)
               VALUES (?, ?, ?, ?, ?, ?)`,
            )
            .run(tenantId, subject, JSON.stringify(keyIds), JSON.stringify(records), at, erasedBy);
        }
        const erasedAt = statements
          .prepare('SELECT max(erased_at) FROM subject_erasures WHERE tenant_id = ? AND subject = ?')
          .pluck()
          .get(tenantId, subject) as number | null;
        return { keyIds, records, erasedAt: erasedAt ?? undefined, searchSeqs };
      } finally {
        db.pragma('secure_delete = FAST');
      }
    },
    scrub(searchSeqs, truncate) {
      if (db.memory) return true;
      const searchClean = forgetSearchEntries(searchFilePath(db.name), searchSeqs, truncate);
      return searchClean && (!truncate || truncateWal(db));
    },
  };
}

/**
 * Deletes the index entries of `seqs` from the search file (when there is one) and truncates its
 * WAL unless told not to (a purge's batches). Bumps the file's generation in the same transaction: an indexing step that read the rows
 * before the erasure committed then fails its guard and reads them again, cleared.
 */
export function forgetSearchEntries(path: string, seqs: readonly number[], truncate = true): boolean {
  if (!existsSync(path) || (seqs.length === 0 && !truncate)) return true;
  const search = new Database(path);
  try {
    search.pragma('busy_timeout = 5000');
    search.pragma('secure_delete = ON');
    const remove = search.prepare('DELETE FROM operate_logs_fts WHERE rowid = ?');
    search
      .transaction(() => {
        for (const seq of seqs) remove.run(seq);
        search.prepare('UPDATE search_index_state SET generation = generation + 1').run();
      })
      .immediate();
    return truncate ? truncateWal(search) : true;
  } finally {
    search.close();
  }
}

/**
 * Checkpoints and truncates `db`'s WAL, waiting for readers; false if they kept it busy. While a
 * truncating checkpoint waits for readers it holds every writer off (a server's ingest beside it),
 * so each try waits TRUNCATE_WAIT_MS at most and writers get their turn between tries.
 */
function truncateWal(db: Database.Database): boolean {
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${TRUNCATE_WAIT_MS}`);
  try {
    for (let attempt = 0; attempt < TRUNCATE_ATTEMPTS; attempt++) {
      if (attempt > 0) Atomics.wait(PAUSE, 0, 0, TRUNCATE_WAIT_MS);
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) return true;
    }
    return false;
  } finally {
    db.pragma(`busy_timeout = ${busyTimeout}`);
  }
}
