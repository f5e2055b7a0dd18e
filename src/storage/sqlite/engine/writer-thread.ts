import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { UnavailableError } from '../../../domain/errors.js';
import { startModuleWorker } from './module-worker.js';
import type { StoreWriter } from './store-writer.js';
import type { WriteCommand, WriteResult } from './write-commands.js';

/** A write for the writer thread: its command (structured-cloned) and a number for the answer. */
export interface WriteRequest {
  id: number;
  command: WriteCommand;
}

/** The writer thread's answer to request `id`, sent after the commit that made it durable. */
export type WriteReply =
  { id: number; value: unknown } | { id: number; error: { name: string; message: string; code?: string } };

/** workerData of the writer thread. */
export interface WriterThreadData {
  /** Marks a worker started by WriterThread (writer-worker.ts serves only then). */
  role: 'sealog-writer';
  path: string;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
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
export class WriterThread implements StoreWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Starts the thread at once, so the first write does not wait for it to load. */
  constructor(private readonly path: string) {
    this.worker = this.start();
  }

  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    if (this.closed) return Promise.reject(new Error(`the store ${this.path} is closed`));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.holdProcess();
      const request: WriteRequest = { id, command };
      worker.postMessage(request);
    });
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
    worker.on('message', (reply: WriteReply) => {
      this.settle(reply);
    });
    worker.on('error', (error) => {
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

  private settle(reply: WriteReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    this.holdProcess();
    if ('value' in reply) {
      pending.resolve(reply.value);
      return;
    }
    // The driver's error, rebuilt: its name, message and SQLite code (SQLITE_FULL, …) survive.
    const error = new Error(reply.error.message) as Error & { code?: string };
    error.name = reply.error.name;
    if (reply.error.code !== undefined) error.code = reply.error.code;
    pending.reject(error);
  }

  private failPending(cause: Error): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    this.holdProcess();
    for (const { reject } of failed) {
      reject(new UnavailableError(`the SQLite writer thread stopped (${cause.message}); retry later`));
    }
  }
}
