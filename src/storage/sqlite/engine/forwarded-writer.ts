import { UnavailableError } from '../../../domain/errors.js';
import { PendingWrites, type WriteReply, type WriteRequest } from './pending-writes.js';
import type { GroupCommitTotals, StoreWriter } from './store-writer.js';
import { packCommand, type WriteCommand, type WriteResult } from './write-commands.js';

/**
 * How a process that serves reads reaches the process that holds the store's one writer: it
 * sends requests and hears replies (process IPC under WORKERS; see src/cluster/).
 */
export interface WriteChannel {
  send(request: WriteRequest): void;
  /** Calls `listener` with every reply, and `lost` when the channel is gone for good. */
  listen(listener: (reply: WriteReply) => void, lost: () => void): void;
}

/**
 * The writer of a process that does not hold the embedded store's writer: every write travels as
 * data to the process that does, which group-commits it with everyone else's, publishes it to the
 * after-commit seam, and answers after the commit. SQLite keeps one writer however many processes
 * read.
 */
export class ForwardedWriter implements StoreWriter {
  private readonly pending = new PendingWrites();
  private lost = false;

  constructor(private readonly channel: WriteChannel) {
    channel.listen(
      (reply) => {
        this.pending.settle(reply);
      },
      () => {
        this.lost = true;
        this.pending.failAll('the process holding the SQLite writer is gone');
      },
    );
  }

  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    if (this.lost) {
      return Promise.reject(
        new UnavailableError('the process holding the SQLite writer is gone; retry later'),
      );
    }
    // Serialized here, once: the primary relays the bytes to its writer thread without cloning rows.
    return this.pending.send(packCommand(command), (request) => {
      this.channel.send(request);
    }) as Promise<WriteResult<Command>>;
  }

  queueDepth(): number {
    return this.pending.size;
  }

  /** Its writes are committed, and counted, in the writer's process. */
  groupCommits(): GroupCommitTotals {
    return { groups: 0, writes: 0 };
  }

  /** Nothing of its own to close: the writes sent are answered by the other process. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
