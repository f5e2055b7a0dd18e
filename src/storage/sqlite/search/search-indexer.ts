import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CommitSubscriber, SubscribeOptions } from '../../../domain/after-commit.js';
import { OPERATE_LOG_TABLE } from '../../../kinds/operate-log/operate-log-table.js';
import { threadError, type BackgroundFailureListener } from '../engine/background-failure.js';
import { startModuleWorker } from '../engine/module-worker.js';
import { prepareSearchFile, searchFilePath, type SearchFileOutcome } from './search-index-file.js';
import { SearchReader } from './search-reader.js';
import type {
  SearchIndexCommand,
  SearchIndexProgress,
  SearchIndexWorkerData,
} from './search-index-worker.js';

/** How the indexer paces itself; tests shrink both to see the bound at work. */
export interface SearchIndexTuning {
  /** Rows the worker indexes per transaction (one FTS5 segment each). */
  stepRows: number;
  /** The most rows ingest leaves unindexed before it waits for the worker (see `subscriber`). */
  maxLagRows: number;
}

/**
 * 2,000 rows a step (a few ms of the worker's time, about 110,000 rows/s in all); ingest waits at a
 * lag of 100,000 rows, which a search scans past the watermark in tens of ms.
 */
export const DEFAULT_SEARCH_INDEX_TUNING: SearchIndexTuning = { stepRows: 2000, maxLagRows: 100_000 };
/** Wait before a worker that failed is started again, in ms. */
const RESTART_DELAY_MS = 1000;

/**
 * Keeps the trigram index of operate_content (in the search file, see search-index-file.ts) up to
 * date from a worker thread, off the acknowledged path and off the event loop: ingest commits rows
 * to the store and only tells the worker. Queries combine the index (rows up to its watermark) with
 * a scan of the rows past it, so results are exact whatever the lag; ingest waits once the lag
 * passes `maxLagRows` (100,000 by default), so that scan stays short.
 *
 * A (re)build of rows stored before the indexer started (a new search file, an upgrade) does not
 * hold ingest back: searches are exact but slower until it is done.
 */
export class SearchIndexer {
  /** Read-only connection to the store with the search file attached as `search`, for searches. */
  readonly reader: SearchReader;
  /** What opening found: current, rebuilding or trimmed (see prepareSearchFile). */
  readonly opened: SearchFileOutcome;
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The worker failed and is not back yet: ingest is not held back meanwhile. */
  private failing = false;
  private workerIdle = false;
  /** The watermark as the worker last reported it. */
  private indexedThrough: number;
  /** The last seq stored when the indexer started: rows up to it are the backlog of a (re)build. */
  private readonly backlogThrough: number;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readonly lastSeq: Database.Statement;

  /**
   * Prepares the search file of the migrated store `store` at `storePath` and starts the worker.
   * `store` must be idle while this runs (it is called from migrate()).
   */
  constructor(
    store: Database.Database,
    private readonly storePath: string,
    private readonly tuning: SearchIndexTuning = DEFAULT_SEARCH_INDEX_TUNING,
    private readonly onFailure: BackgroundFailureListener = () => undefined,
  ) {
    this.opened = prepareSearchFile(store, storePath);
    this.reader = new SearchReader(storePath);
    this.lastSeq = store.prepare('SELECT coalesce(max(seq), 0) FROM operate_logs').pluck();
    this.indexedThrough = this.reader.indexedThrough();
    this.backlogThrough = this.lastSeq.get() as number;
    this.startWorker();
  }

  /**
   * The indexer on the store's after-commit seam. It keeps its own position (the watermark in the
   * search file), so catching up is waking the worker. Each operate-log append wakes it and is
   * finished once indexed, so that the seam holds writes back once `maxLagRows` rows wait; not
   * while a backlog is rebuilt, the worker fails, or it was stopped.
   */
  readonly subscriber: CommitSubscriber = {
    name: 'search-indexer',
    appended: () => {
      // A write answered while the store closes: its rows are the next start's backlog.
      if (this.stopped) return Promise.resolve();
      const last = this.lastSeq.get() as number;
      this.wake(last);
      if (this.failing || this.indexedThrough < this.backlogThrough) return Promise.resolve();
      return this.waitFor(last);
    },
    catchUp: () => {
      if (!this.stopped) this.wake(this.lastSeq.get() as number);
      return Promise.resolve();
    },
  };

  /**
   * How the seam queues for the indexer: operate-log writes wait once `maxLagRows` rows are not
   * indexed; other kinds never wait for it, and no row is held (the worker reads the store).
   */
  get subscription(): SubscribeOptions {
    return {
      capacityRows: this.tuning.maxLagRows,
      overflow: 'wait',
      tables: [OPERATE_LOG_TABLE.table],
      rows: false,
    };
  }

  /** Resolves once every row stored now is indexed (or the indexer is stopped). */
  whenCaughtUp(): Promise<void> {
    const last = this.lastSeq.get() as number;
    this.wake(last);
    return this.waitFor(last);
  }

  /** Rows stored but not yet indexed (the lag), read from both files, for monitoring and benchmarks. */
  pendingRows(): number {
    return this.reader.pendingRows();
  }

  /**
   * Stops the worker after its current step; resolves once it is gone. Searches keep working
   * (rows stored from now on are scanned); close() also closes the reader.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.settleWaiters(Infinity);
    this.post('stop');
    await this.exited;
  }

  /**
   * Closes the reader, then stops the worker: the worker's connection, the last one to the search
   * file, then checkpoints the file's WAL and removes it (a read-only connection cannot).
   */
  async close(): Promise<void> {
    this.reader.close();
    await this.stop();
  }

  private startWorker(): void {
    if (this.stopped) return;
    const data: SearchIndexWorkerData = {
      role: 'sealog-search-indexer',
      storePath: this.storePath,
      searchPath: searchFilePath(this.storePath),
      stepRows: this.tuning.stepRows,
    };
    const worker = startModuleWorker(
      import.meta.url,
      'search-index-worker',
      { workerData: data },
      (specifier) => import.meta.resolve(specifier),
    );
    this.worker = worker;
    this.workerIdle = false;
    worker.on('message', (progress: SearchIndexProgress) => {
      this.onProgress(progress);
    });
    // A failed worker (I/O error, a damaged search file) is started again after a pause; until
    // then ingest is not held back and searches scan what the index lacks.
    worker.on('error', (error) => {
      this.onFailure('search-indexer', threadError(error));
      this.failing = true;
      this.settleWaiters(Infinity);
      setTimeout(() => {
        this.startWorker();
      }, RESTART_DELAY_MS).unref();
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => {
        resolve();
      });
    });
    this.holdProcess();
  }

  private post(command: SearchIndexCommand): void {
    this.worker?.postMessage(command);
  }

  private onProgress(progress: SearchIndexProgress): void {
    this.failing = false;
    this.indexedThrough = progress.indexedThrough;
    this.settleWaiters(progress.indexedThrough);
    if (progress.idle) {
      this.workerIdle = true;
      // Rows committed after the worker's last read would otherwise wait for the next ingest.
      this.wake(this.lastSeq.get() as number);
    }
  }

  private wake(lastSeq: number): void {
    if (!this.workerIdle || lastSeq <= this.indexedThrough) return;
    this.workerIdle = false;
    this.post('wake');
  }

  private waitFor(seq: number): Promise<void> {
    if (seq <= this.indexedThrough || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ seq, resolve });
      this.holdProcess();
    });
  }

  private settleWaiters(indexedThrough: number): void {
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= indexedThrough) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
    this.holdProcess();
  }

  /**
   * The worker keeps the process alive only while someone waits for it: a waiter for its report,
   * or stop() for its exit.
   */
  private holdProcess(): void {
    if (this.stopped || this.waiters.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }
}
