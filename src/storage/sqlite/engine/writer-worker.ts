/*
 * The writer thread's entry (see writer-thread.ts): the store's one writing connection, its WAL
 * checkpointer and a group commit over every write operation. It serves only in a worker started
 * by WriterThread (its workerData says so); imported anywhere else it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openStoreConnection } from './store-connection.js';
import { InThreadWriter } from './store-writer.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import type { WriteReply, WriteRequest, WriterThreadData } from './writer-thread.js';

function serve(port: NonNullable<typeof parentPort>, { path }: WriterThreadData): void {
  const db = openStoreConnection(path);
  const checkpointer = new WalCheckpointer(db, path);
  const writer = new InThreadWriter(db);
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
    writer.runRequest(command).then(
      (value) => {
        answer({ id, value });
      },
      (error: unknown) => {
        const { name: errorName, message: text, code } = error as Error & { code?: unknown };
        answer({
          id,
          error: {
            name: errorName,
            message: text,
            ...(typeof code === 'string' ? { code } : {}),
          },
        });
      },
    );
  });
}

const data = workerData as Partial<WriterThreadData> | null;
if (!isMainThread && parentPort !== null && data?.role === 'sealog-writer' && data.path !== undefined) {
  serve(parentPort, { role: data.role, path: data.path });
}
