import type Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import {
  appendedCounts,
  STANDALONE_COMMANDS,
  unpackCommand,
  type PackedWriteCommand,
  type PackedWriteResult,
  type WriteCommand,
  type WriteResult,
} from './write-commands.js';
import { writeOperations } from './write-operations.js';

/**
 * Where the embedded store's writes run: on the writer thread (writer-thread.ts) for a store file,
 * on the caller's thread for an in-memory store. Either way writes are group-committed, and a
 * promise settles only after the commit that made its write durable.
 */
export interface StoreWriter {
  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>>;
  close(): Promise<void>;
  /** Writes sent and not answered yet. */
  queueDepth(): number;
  /** Group commits so far and the writes they held; zeros for a writer that commits elsewhere. */
  groupCommits(): GroupCommitTotals;
}

/** A writer that runs commands packed in another process (the writer thread, or the in-memory store's). */
export interface PackedWriter extends StoreWriter {
  /** Runs a packed command; answers its value and the rows it stored per tenant. */
  runPacked(packed: PackedWriteCommand): Promise<PackedWriteResult>;
}

/** Transactions the writer committed since it started, and the writes they held. */
export interface GroupCommitTotals {
  groups: number;
  writes: number;
}

/** Writes on the calling thread's connection `db`, group-committed (the writer thread runs one too). */
export class InThreadWriter implements PackedWriter {
  private readonly execute: (command: WriteCommand) => unknown;
  private readonly group: GroupCommit;

  /** `onCommit` hears the size of each committed group (the writer thread reports it). */
  constructor(db: Database.Database, onCommit?: (writes: number) => void) {
    this.execute = writeOperations(db);
    this.group = new GroupCommit(db, onCommit);
  }

  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    return this.runRequest(command) as Promise<WriteResult<Command>>;
  }

  /** Runs a command as the writer thread receives it, its type checked where run() was called. */
  runRequest(command: WriteCommand): Promise<unknown> {
    if (STANDALONE_COMMANDS.has(command.type)) {
      // Group commits run whole within one turn of the loop: between two, none is open.
      return new Promise((resolve, reject) => {
        setImmediate(() => {
          try {
            resolve(this.execute(command));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
    }
    return this.group.run(() => this.execute(command));
  }

  async runPacked(packed: PackedWriteCommand): Promise<PackedWriteResult> {
    const command = unpackCommand(packed);
    const value = await this.runRequest(command);
    return { value, appended: appendedCounts(command, value) };
  }

  queueDepth(): number {
    return this.group.queued;
  }

  groupCommits(): GroupCommitTotals {
    return { ...this.group.committed };
  }

  /** Resolves once the writes queued so far are committed (the group runs on the next turn). */
  close(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
