/*
 * The search indexer's thread (see search-indexer.ts). Its connection opens the search file and
 * attaches the store to read new rows. The read is a statement of its own and the write a DEFERRED
 * transaction on the search file only, so the worker never takes the store's write lock and holds
 * a store snapshot only while it reads. Steps run back to back while rows wait; then it reports
 * idle and waits to be woken.
 * Each step starts from the watermark in the file and moves it only from that value, so that two
 * processes on one store (`sealog migrate` while a server runs) do not index rows twice or move
 * the watermark back (the index would replace a twice-indexed entry, but the work is wasted): the
 * second to commit finds the watermark moved, writes nothing and starts over from the new one.
 * synchronous = NORMAL: a step lost to a power cut is lost with its watermark and simply redone.
 * It serves only in a worker started by SearchIndexer (its workerData says so); imported anywhere
 * else it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** workerData of the indexer's thread. */
export interface SearchIndexWorkerData {
  role: 'sealog-search-indexer';
  storePath: string;
  searchPath: string;
  /** Rows indexed per transaction. */
  stepRows: number;
}

/** From the worker after each step: the watermark, and whether it has run out of rows. */
export interface SearchIndexProgress {
  indexedThrough: number;
  idle: boolean;
}

/** To the worker: new rows were stored ('wake'), or it should end ('stop'). */
export type SearchIndexCommand = 'wake' | 'stop';

interface PendingRow {
  seq: number;
  operate_content: string;
}

function serve(port: NonNullable<typeof parentPort>, data: SearchIndexWorkerData): void {
  const db = new Database(data.searchPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_size_limit = 67108864');
  db.prepare('ATTACH ? AS store').run(data.storePath);
  const next = db.prepare<[number, number], PendingRow>(
    'SELECT seq, coalesce(search_text, operate_content) AS operate_content FROM store.operate_logs WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  const add = db.prepare('INSERT INTO operate_logs_fts (rowid, operate_content) VALUES (?, ?)');
  const watermark = db.prepare('SELECT indexed_through FROM search_index_state').pluck();
  const generation = db.prepare('SELECT generation FROM search_index_state').pluck();
  // An erasure that committed since the rows were read bumped the generation: they may hold text
  // it cleared, so nothing is written and the step reads them again.
  const advance = db.prepare(
    'UPDATE search_index_state SET indexed_through = ? WHERE indexed_through = ? AND generation = ?',
  );
  const commit = db.transaction((from: number, readAt: number, rows: PendingRow[]) => {
    const last = rows[rows.length - 1];
    if (last === undefined || advance.run(last.seq, from, readAt).changes !== 1) return false;
    for (const row of rows) add.run(row.seq, row.operate_content);
    return true;
  });
  let scheduled = false;
  let stopped = false;
  const step = () => {
    scheduled = false;
    if (stopped) return;
    const from = watermark.get() as number;
    const readAt = generation.get() as number;
    const rows = next.all(from, data.stepRows);
    const committed = rows.length > 0 && commit(from, readAt, rows);
    const idle = rows.length < data.stepRows && (committed || rows.length === 0);
    const progress: SearchIndexProgress = { indexedThrough: watermark.get() as number, idle };
    port.postMessage(progress);
    if (!idle) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(step);
  };
  port.on('message', (command: SearchIndexCommand) => {
    if (command === 'wake') {
      schedule();
      return;
    }
    stopped = true;
    db.close();
    port.close();
  });
  schedule();
}

const data = workerData as Partial<SearchIndexWorkerData> | null;
if (!isMainThread && parentPort !== null && data?.role === 'sealog-search-indexer') {
  serve(parentPort, data as SearchIndexWorkerData);
}
