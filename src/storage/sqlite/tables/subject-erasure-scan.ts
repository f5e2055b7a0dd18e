import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { OPERATE_LOG_TABLE } from '../../../kinds/operate-log/operate-log-table.js';

/**
 * A subject's operate logs as a reader found them before the erasure's write. Operate logs have no
 * index by subject (one would dirty a page per ingested row; see migration 11): the erasure reads
 * the tenant's rows here, on a reader's connection and in chunks, so that neither the writer nor
 * the event loop waits for the whole tenant; the write then checks these rows and looks for the
 * subject's rows stored since (ScannedOperateLogs.through) by seq alone.
 */
export interface ScannedOperateLogs {
  /** seq of the subject's operate logs found, each at most `through`. */
  readonly seqs: readonly number[];
  /**
   * The highest seq when the scan began. A row stored later has a higher seq (seq only grows:
   * the search file's watermark relies on it too), so the write finds those past it.
   */
  readonly through: number;
}

/** Rows of the tenant read per chunk: a few milliseconds of the event loop each. */
const SCAN_CHUNK_ROWS = 5000;

const TABLE = OPERATE_LOG_TABLE.table;
const SUBJECT = OPERATE_LOG_TABLE.sealing.subject;

/** Finds `subject`'s operate logs in `tenantId` on `db` (a reader), walking the tenant by id. */
export async function scanSubjectOperateLogs(
  db: Database.Database,
  tenantId: string,
  subject: string,
): Promise<ScannedOperateLogs> {
  const through = db.prepare(`SELECT coalesce(max(seq), 0) FROM ${TABLE}`).pluck().get() as number;
  // The tenant's (tenant_id, id) index gives a keyset walk; each row's subject is read from it.
  const chunk = db
    .prepare(
      `SELECT id, seq, ${SUBJECT} = ? FROM ${TABLE}
        WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
    )
    .raw();
  const seqs: number[] = [];
  let after = '';
  for (;;) {
    const rows = chunk.all(subject, tenantId, after, SCAN_CHUNK_ROWS) as [string, number, number][];
    for (const [, seq, mine] of rows) if (mine === 1 && seq <= through) seqs.push(seq);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < SCAN_CHUNK_ROWS) break;
    after = last[0];
    await yieldToEvents();
  }
  return { seqs, through };
}
