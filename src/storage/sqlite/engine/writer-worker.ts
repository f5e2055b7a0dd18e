/*
 * The writer thread's entry (see writer-thread.ts): the store's one writing connection, its WAL
 * checkpointer and a group commit over every write operation. It serves only in a worker started
 * by WriterThread (its workerData says so); imported anywhere else it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openStoreConnection } from './store-connection.js';
import type { BackgroundFailureReport } from './background-failure.js';
import { InThreadWriter } from './store-writer.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { toWireError, type WriteReply, type WriteRequest } from './pending-writes.js';
import type { GroupCommitReport, WriterThreadData } from './writer-thread.js';
import { isPacked } from './write-commands.js';

function serve(port: NonNullable<typeof parentPort>, { path }: WriterThreadData): void {
  const db = openStoreConnection(path);
  const checkpointer = new WalCheckpointer(db, path, undefined, (error) => {
    const report: BackgroundFailureReport = {
      failed: 'wal-checkpointer',
      name: error.name,
      message: error.message,
    };
    port.postMessage(report);
  });
  // One message per committed group (not per write) tells the store how large groups are.
  const writer = new InThreadWriter(db, (writes) => {
    const report: GroupCommitReport = { committedWrites: writes };
    port.postMessage(report);
  });
  const answer = (reply: WriteReply) => {
    port.postMessage(reply);
  };
  port.on('message', (message: WriteRequest | 'close') => {
    if (message === 'close') {
      // The writes received before this message are in the group that runs on the next turn.
      void writer.close().then(async () => {
        await checkpointer.stop();
        db.close();
        port.close();
      });
      return;
    }
    const { id, command } = message;
    (isPacked(command) ? writer.runPacked(command) : writer.runRequest(command)).then(
      (value) => {
        answer({ id, value });
      },
      (error: unknown) => {
        answer({ id, error: toWireError(error) });
      },
    );
  });
}

const data = workerData as Partial<WriterThreadData> | null;
if (!isMainThread && parentPort !== null && data?.role === 'sealog-writer' && data.path !== undefined) {
  serve(parentPort, { role: data.role, path: data.path });
}
