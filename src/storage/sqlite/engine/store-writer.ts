import type Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import type { WriteCommand, WriteResult } from './write-commands.js';
import { writeOperations } from './write-operations.js';

/**
 * Where the embedded store's writes run: on the writer thread (writer-thread.ts) for a store file,
 * on the caller's thread for an in-memory store. Either way writes are group-committed, and a
 * promise settles only after the commit that made its write durable.
 */
export interface StoreWriter {
  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>>;
  close(): Promise<void>;
}

/** Writes on the calling thread's connection `db`, group-committed (the writer thread runs one too). */
export class InThreadWriter implements StoreWriter {
  private readonly execute: (command: WriteCommand) => unknown;
  private readonly group: GroupCommit;

  constructor(db: Database.Database) {
    this.execute = writeOperations(db);
    this.group = new GroupCommit(db);
  }

  run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    return this.runRequest(command) as Promise<WriteResult<Command>>;
  }

  /** Runs a command as the writer thread receives it, its type checked where run() was called. */
  runRequest(command: WriteCommand): Promise<unknown> {
    return this.group.run(() => this.execute(command));
  }

  /** Resolves once the writes queued so far are committed (the group runs on the next turn). */
  close(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
