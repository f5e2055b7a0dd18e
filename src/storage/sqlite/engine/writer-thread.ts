import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import {
  threadError,
  type BackgroundFailureListener,
  type BackgroundFailureReport,
} from './background-failure.js';
import { startModuleWorker } from './module-worker.js';
import { PendingWrites, type WriteReply, type WriteRequest } from './pending-writes.js';
import type { GroupCommitTotals, PackedWriter } from './store-writer.js';
import type { PackedWriteCommand, PackedWriteResult, WriteCommand, WriteResult } from './write-commands.js';

/** What the writer thread says after each group commit: how many writes it held. */
export interface GroupCommitReport {
  committedWrites: number;
}

/** workerData of the writer thread. */
export interface WriterThreadData {
  /** Marks a worker started by WriterThread (writer-worker.ts serves only then). */
  role: 'sealog-writer';
  path: string;
}

/**
 * The embedded store's writes on a thread of their own (writer-worker.ts), with its own
 * connection: while it inserts and waits for fsync, the event loop goes on parsing and validating
 * the next requests, and queries never wait behind a write on the event loop. The thread
 * group-commits what arrives together and answers each write after its commit.
 *
 * Should the thread die (an I/O error it cannot survive), the writes in flight are rejected as
 * unavailable (503: their batches may or may not have been stored, and ingest is idempotent, so
 * the client sends them again) and the next write starts a new thread.
 */
export class WriterThread implements PackedWriter {
  private worker: Worker | undefined;
  private readonly pending = new PendingWrites();
  private readonly committed: GroupCommitTotals = { groups: 0, writes: 0 };
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Starts the thread at once, so the first write does not wait for it to load. */
  constructor(
    private readonly path: string,
    private readonly onFailure: BackgroundFailureListener = () => undefined,
  ) {
    this.worker = this.start();
  }

  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    return this.post(command, []) as Promise<WriteResult<Command>>;
  }

  runPacked(packed: PackedWriteCommand): Promise<PackedWriteResult> {
    // A copy of the bytes alone, handed over rather than cloned: what arrived over IPC may be a
    // Buffer viewing a larger buffer still in use, which cloning would copy whole (and Buffer's
    // slice() would share, not copy).
    const bytes = new Uint8Array(packed.bytes);
    return this.post({ ...packed, bytes }, [bytes.buffer]) as Promise<PackedWriteResult>;
  }

  /** Sends `command` to the thread (starting one if none runs), `transfer` handed over with it. */
  private post(command: WriteRequest['command'], transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`the store ${this.path} is closed`));
    const worker = this.worker ?? this.start();
    const written = this.pending.send(command, (request) => {
      worker.postMessage(request, transfer);
    });
    this.holdProcess();
    return written;
  }

  queueDepth(): number {
    return this.pending.size;
  }

  groupCommits(): GroupCommitTotals {
    return { ...this.committed };
  }

  /**
   * Lets the writes already sent commit, then closes the thread's connection; resolves once it is
   * gone (at once when it is already). Closing twice waits for the same end.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    this.holdProcess();
    const exited = once(worker, 'exit');
    worker.postMessage('close');
    await exited;
  }

  private start(): Worker {
    const data: WriterThreadData = { role: 'sealog-writer', path: this.path };
    const worker = startModuleWorker(import.meta.url, 'writer-worker', { workerData: data }, (specifier) =>
      import.meta.resolve(specifier),
    );
    worker.on('message', (message: WriteReply | GroupCommitReport | BackgroundFailureReport) => {
      if ('failed' in message) {
        const error = new Error(message.message);
        error.name = message.name;
        this.onFailure(message.failed, error);
        return;
      }
      if ('committedWrites' in message) {
        this.committed.groups++;
        this.committed.writes += message.committedWrites;
        return;
      }
      this.pending.settle(message);
      this.holdProcess();
    });
    worker.on('error', (thrown) => {
      const error = threadError(thrown);
      this.onFailure('sqlite-writer', error);
      this.failPending(error);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failPending(new Error('it exited'));
    });
    this.worker = worker;
    this.holdProcess();
    return worker;
  }

  /** The thread keeps the process alive only while a write waits for it, or close() for its exit. */
  private holdProcess(): void {
    if (this.closed || this.pending.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private failPending(cause: Error): void {
    this.pending.failAll(`the SQLite writer thread stopped (${cause.message})`);
    this.holdProcess();
  }
}
