import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { threadError } from './background-failure.js';
import { startModuleWorker } from './module-worker.js';
import type { CheckpointCommand, CheckpointReport, CheckpointWorkerData } from './wal-checkpoint-worker.js';

/** How often the worker checkpoints the WAL, in ms. */
const CHECKPOINT_INTERVAL_MS = 200;
/** WAL frames (pages) above which the writer restarts the WAL: about 64 MiB with 4 KiB pages. */
const RESTART_ABOVE_FRAMES = 16_384;
/** SQLite's own automatic checkpoint threshold, in WAL pages, restored if the worker dies. */
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Checkpoints a WAL database from a worker thread with its own connection, so that ingest commits
 * do not copy pages into the database file on the event loop (SQLite's automatic checkpoint runs
 * inside the commit that crosses its threshold: about 40 % of a batch's time at 10 million rows).
 * Durability is unchanged: a commit is durable once in the WAL; checkpoints only move it along.
 *
 * The worker's PASSIVE checkpoints never wait for anyone, and under continuous writes they never
 * catch up with the writer; SQLite starts the WAL file over only after a checkpoint has copied all
 * of it, so the file would grow without end. When the WAL has grown past RESTART_ABOVE_FRAMES, the
 * worker asks the writer's thread, which then runs a RESTART checkpoint between two of its own
 * transactions: it copies only what the last passive checkpoint left (its pages are in the OS
 * cache) and lets the next commit start the WAL over.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /**
   * Resolves once the worker has opened its connection and checkpoints (or has ended): a new
   * thread first loads its modules, during which the WAL grows unchecked.
   */
  readonly running: Promise<void>;
  private stopping = false;
  private restartCount = 0;

  /**
   * Turns automatic checkpoints off on `db`, the writing connection to the database at `path`,
   * and starts the worker. Should the worker die (it could not open the file, an I/O error),
   * automatic checkpoints are turned back on, so the WAL never grows without bound.
   * `tuning` is for tests, which need a small WAL checkpointed often.
   */
  constructor(
    private readonly db: Database.Database,
    path: string,
    tuning: { restartAboveFrames: number; intervalMs: number } = {
      restartAboveFrames: RESTART_ABOVE_FRAMES,
      intervalMs: CHECKPOINT_INTERVAL_MS,
    },
    private readonly onFailure: (error: Error) => void = () => undefined,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const data: CheckpointWorkerData = { role: 'sealog-wal-checkpointer', path, ...tuning };
    this.worker = startModuleWorker(
      import.meta.url,
      'wal-checkpoint-worker',
      { workerData: data },
      (specifier) => import.meta.resolve(specifier),
    );
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        resolve();
      });
    });
    let markRunning: () => void = () => undefined;
    this.running = new Promise((resolve) => {
      markRunning = resolve;
    });
    void this.exited.then(markRunning);
    this.worker.on('message', (message: CheckpointReport) => {
      if (message === 'running') markRunning();
      else this.restart();
    });
    this.worker.on('error', (error) => {
      this.onFailure(threadError(error));
      this.fallBackToAutomaticCheckpoints();
    });
    // Keeps the process alive only until it runs (so that awaiting `running` is not cut short),
    // and again while stop() waits for it.
    void this.running.then(() => {
      if (!this.stopping) this.worker.unref();
    });
  }

  /** RESTART checkpoints run on the writer's thread so far, at the worker's request. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Runs a last checkpoint and closes the worker's connection; resolves once the worker is gone. */
  stop(): Promise<void> {
    // Held by the worker until it has exited: the caller waits for it.
    this.stopping = true;
    this.worker.ref();
    this.post('stop');
    return this.exited;
  }

  /**
   * RESTART without waiting: with the connection's busy timeout, a reader holding an old snapshot
   * (a `sealog copy` reading the file, a backup) would stall the event loop for the whole timeout
   * on every request. When it cannot finish (busy = 1), the worker asks again next round.
   */
  private restart(): void {
    if (!this.db.open) return;
    const busyTimeoutMs = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.pragma('wal_checkpoint(RESTART)');
    } catch (error) {
      // An I/O error: hand checkpoints back to SQLite, as if the worker had died.
      this.onFailure(threadError(error));
      this.fallBackToAutomaticCheckpoints();
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
    this.restartCount += 1;
    this.post('restarted');
  }

  private post(command: CheckpointCommand): void {
    this.worker.postMessage(command);
  }

  private fallBackToAutomaticCheckpoints(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }
}
