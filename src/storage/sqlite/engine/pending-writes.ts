import { UnavailableError } from '../../../domain/errors.js';
import type { PackedWriteCommand, WriteCommand } from './write-commands.js';

/** A write sent to whoever runs the store's writes: its command and a number for the answer. */
export interface WriteRequest {
  id: number;
  /** Packed when it comes from another process (see PackedWriteCommand). */
  command: WriteCommand | PackedWriteCommand;
}

/** The error of a write as it travels back: the driver's name, message and SQLite code survive. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

/** The answer to request `id`, sent after the commit that made it durable. */
export type WriteReply = { id: number; value: unknown } | { id: number; error: WireError };

/** `error` as it can travel in a WriteReply. */
export function toWireError(error: unknown): WireError {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const { code } = error as { code?: unknown };
  return { name, message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * The writes sent and not answered yet, by id: what a writer that runs elsewhere (a thread, the
 * primary process) keeps to settle each caller's promise when its reply comes back.
 */
export class PendingWrites {
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;

  /** Writes waiting for their reply. */
  get size(): number {
    return this.pending.size;
  }

  /** Registers a write and hands its request to `send`; resolves with the reply's value. */
  send(command: WriteRequest['command'], send: (request: WriteRequest) => void): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      send({ id, command });
    });
  }

  /** Settles the write `reply` answers; a reply to no pending write (already failed) is ignored. */
  settle(reply: WriteReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if ('value' in reply) {
      pending.resolve(reply.value);
      return;
    }
    pending.reject(fromWireError(reply.error));
  }

  /**
   * Rejects every pending write as unavailable (503): its batch may or may not have been stored,
   * and ingest is idempotent, so the client sends it again.
   */
  failAll(reason: string): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of failed) reject(new UnavailableError(`${reason}; retry later`));
  }
}

/**
 * The error again, as the HTTP layer classifies it: an UnavailableError stays one (503), and so
 * does SQLite's "database is locked" — another process (a `sealog purge` or `sealog erase` on the
 * same file) held the write lock past the busy timeout: nothing was written, a retry succeeds.
 */
function fromWireError(wire: WireError): Error {
  if (wire.name === 'UnavailableError') return new UnavailableError(wire.message);
  if (wire.code === 'SQLITE_BUSY' || wire.code === 'SQLITE_BUSY_TIMEOUT') {
    return new UnavailableError(`another process held the store's write lock too long (${wire.message})`);
  }
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}
