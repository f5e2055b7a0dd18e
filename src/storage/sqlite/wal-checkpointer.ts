import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints the WAL, in ms. */
const CHECKPOINT_INTERVAL_MS = 200;

/*
 * The worker's code, CommonJS as eval workers run it. The driver comes as a resolved path, so the
 * worker loads the same better-sqlite3 whether sealog runs from dist/ or under tsx. A PASSIVE
 * checkpoint never waits for the writer or readers; SQLITE_BUSY (another connection, such as a
 * CLI command, is checkpointing) only means this round is skipped.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    if (error.code !== 'SQLITE_BUSY') throw error;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a WAL database from a worker thread with its own connection, so that ingest commits
 * do not copy pages into the database file on the event loop (SQLite's automatic checkpoint runs
 * inside the commit that crosses its threshold: about 40 % of a batch's time at 10 million rows).
 * The connection that writes must turn its automatic checkpoints off (`wal_autocheckpoint = 0`).
 * Durability is unchanged: a commit is durable once in the WAL; checkpoints only move it along.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /**
   * Starts checkpointing the database at `path` every CHECKPOINT_INTERVAL_MS. `onFailure` runs if
   * the worker dies (it could not open the file, an I/O error): the writer should then turn its
   * automatic checkpoints back on, or the WAL would grow without bound.
   */
  constructor(path: string, onFailure: (error: Error) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    this.worker.on('error', onFailure);
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
}
