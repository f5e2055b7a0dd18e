import type Database from 'better-sqlite3';

/** Rows indexed per step: small enough that one step holds the event loop for only a few ms. */
const BATCH_ROWS = 1000;
/** The most rows left unindexed before ingest waits for the indexer (see keepUp). */
export const MAX_LAG_ROWS = 100_000;

/**
 * Keeps the trigram index of operate_content up to date off the ingest path: ingest only appends
 * rows, and this indexer adds rows past its watermark in small steps, yielding to the event loop
 * between them. Queries combine the index (rows up to the watermark) with a scan of the few rows
 * past it, so results are complete whatever the lag.
 */
export class SearchIndexer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly db: Database.Database) {}

  /** The highest operate_logs.seq the index covers. */
  indexedThrough(): number {
    const row = this.db
      .prepare("SELECT indexed_through FROM search_index_progress WHERE name = 'operate_logs_fts'")
      .get() as { indexed_through: number } | undefined;
    return row?.indexed_through ?? 0;
  }

  /** Rows appended but not yet indexed (the lag), for monitoring and benchmarks. */
  pendingRows(): number {
    const row = this.db.prepare('SELECT coalesce(max(seq), 0) AS last FROM operate_logs').get() as {
      last: number;
    };
    return Math.max(0, row.last - this.indexedThrough());
  }

  /**
   * Indexes the next rows past the watermark in one transaction; returns how many. The step is
   * committed without fsync: the index is derived data, and a step lost to a power cut is lost with
   * its watermark (same transaction), so it is simply indexed again. The next synchronous commit of
   * the connection flushes the step along with it.
   */
  indexNextBatch(): number {
    this.db.pragma('synchronous = OFF');
    try {
      return this.indexStep();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Bounds the lag: while more than MAX_LAG_ROWS rows wait, index them now, on the caller's time
   * (the ingest that outruns the indexer waits for it instead of leaving searches an ever longer
   * unindexed tail to scan).
   */
  keepUp(): void {
    while (this.pendingRows() > MAX_LAG_ROWS && this.indexNextBatch() > 0);
  }

  private indexStep(): number {
    return this.db
      .transaction(() => {
        const from = this.indexedThrough();
        const rows = this.db
          .prepare('SELECT seq, operate_content FROM operate_logs WHERE seq > ? ORDER BY seq LIMIT ?')
          .all(from, BATCH_ROWS) as { seq: number; operate_content: string }[];
        const insert = this.db.prepare('INSERT INTO operate_logs_fts (rowid, operate_content) VALUES (?, ?)');
        for (const row of rows) insert.run(row.seq, row.operate_content);
        const last = rows.at(-1);
        if (last) {
          this.db
            .prepare("UPDATE search_index_progress SET indexed_through = ? WHERE name = 'operate_logs_fts'")
            .run(last.seq);
        }
        return rows.length;
      })
      .immediate();
  }

  /** Indexes in the background until caught up; calling it while it runs does nothing more. */
  schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (this.indexNextBatch() === BATCH_ROWS) this.schedule();
    }, 0);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
