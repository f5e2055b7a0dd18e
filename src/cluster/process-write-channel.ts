import type { WriteChannel } from '../storage/sqlite/engine/forwarded-writer.js';
import { isPrimaryMessage, type WorkerMessage } from './ipc-messages.js';

/** The write channel of a worker process: its IPC channel to the primary, which holds the writer. */
export function processWriteChannel(): WriteChannel {
  const send = (message: WorkerMessage) => {
    // The primary may be gone (its channel closed): nothing is listening then.
    if (process.connected) process.send?.(message);
  };
  return {
    send: (request) => {
      send({ sealog: 'write', request });
    },
    listen: (listener, lost) => {
      process.on('message', (message: unknown) => {
        if (isPrimaryMessage(message) && message.sealog === 'write-reply') listener(message.reply);
      });
      process.once('disconnect', lost);
    },
  };
}
