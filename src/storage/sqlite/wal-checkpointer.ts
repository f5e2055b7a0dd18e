import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the worker checkpoints the WAL, in ms. */
const CHECKPOINT_INTERVAL_MS = 200;
/** WAL frames (pages) above which the writer restarts the WAL: about 64 MiB with 4 KiB pages. */
const RESTART_ABOVE_FRAMES = 16_384;
/** SQLite's own automatic checkpoint threshold, in WAL pages, restored if the worker dies. */
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/*
 * The worker's code, CommonJS as eval workers run it. The driver comes as a resolved path, so the
 * worker loads the same better-sqlite3 whether sealog runs from dist/ or under tsx. SQLITE_BUSY
 * (another connection, such as a CLI command, is checkpointing) only means a round is skipped.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
let waitingForRestart = false;
const passive = () => {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (error) {
    if (error.code !== 'SQLITE_BUSY') throw error;
    return undefined;
  }
};
const timer = setInterval(() => {
  if (waitingForRestart) return;
  const result = passive();
  if (result !== undefined && result.log > workerData.restartAboveFrames) {
    waitingForRestart = true;
    parentPort.postMessage('restart');
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'restarted') {
    waitingForRestart = false;
    return;
  }
  clearInterval(timer);
  passive();
  db.close();
  parentPort.close();
});
`;

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
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, ...tuning },
    });
    this.worker.on('message', () => {
      this.restart();
    });
    this.worker.on('error', () => {
      this.fallBackToAutomaticCheckpoints();
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        resolve();
      });
    });
    // Never keeps the process alive on its own.
    this.worker.unref();
  }

  /** Runs a last checkpoint and closes the worker's connection; resolves once the worker is gone. */
  stop(): Promise<void> {
    // Held by the worker until it has exited: the caller waits for it.
    this.worker.ref();
    this.worker.postMessage('stop');
    return this.exited;
  }

  private restart(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(RESTART)');
    } catch (error) {
      // Busy: a CLI command is checkpointing the same file, and the worker asks again next round.
      // Anything else (an I/O error) hands checkpoints back to SQLite, as if the worker had died.
      if (!(error instanceof Error && 'code' in error && error.code === 'SQLITE_BUSY')) {
        this.fallBackToAutomaticCheckpoints();
      }
    }
    this.worker.postMessage('restarted');
  }

  private fallBackToAutomaticCheckpoints(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }
}
