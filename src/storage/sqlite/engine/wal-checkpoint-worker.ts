/*
 * The WAL checkpointer's thread (see wal-checkpointer.ts). A checkpoint that another connection
 * blocks (a CLI command checkpointing, a reader) reports busy = 1 rather than failing; it is simply
 * tried again. A restart is asked for when the WAL has grown past the threshold since the last
 * request: an idle WAL, however long, needs none (once a passive checkpoint has copied all of it,
 * the writer's next commit starts it over by itself). It serves only in a worker started by
 * WalCheckpointer (its workerData says so); imported anywhere else it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** workerData of the checkpointer's thread. */
export interface CheckpointWorkerData {
  role: 'sealog-wal-checkpointer';
  path: string;
  /** WAL frames above which the writer is asked to restart the WAL. */
  restartAboveFrames: number;
  /** Time between checkpoints, in ms. */
  intervalMs: number;
}

/** From the worker: its connection is open ('running'), or the writer should run a RESTART checkpoint. */
export type CheckpointReport = 'running' | 'restart';
/** To the worker: the writer did ('restarted'), or the worker should checkpoint once more and end. */
export type CheckpointCommand = 'restarted' | 'stop';

function serve(port: NonNullable<typeof parentPort>, data: CheckpointWorkerData): void {
  const db = new Database(data.path);
  const report = (message: CheckpointReport) => {
    port.postMessage(message);
  };
  let waitingForRestart = false;
  let logAtLastRequest = -1;
  const passive = () => (db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number }[])[0];
  const timer = setInterval(() => {
    if (waitingForRestart) return;
    const log = passive()?.log ?? 0;
    if (log > data.restartAboveFrames && log !== logAtLastRequest) {
      waitingForRestart = true;
      logAtLastRequest = log;
      report('restart');
    }
  }, data.intervalMs);
  report('running');
  port.on('message', (command: CheckpointCommand) => {
    if (command === 'restarted') {
      waitingForRestart = false;
      return;
    }
    clearInterval(timer);
    passive();
    db.close();
    port.close();
  });
}

const data = workerData as Partial<CheckpointWorkerData> | null;
if (!isMainThread && parentPort !== null && data?.role === 'sealog-wal-checkpointer') {
  serve(parentPort, data as CheckpointWorkerData);
}
