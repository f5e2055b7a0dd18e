import type Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { writeOperations, type WriteName, type WriteOperations } from './write-operations.js';

/**
 * Where the embedded store's writes run: on the writer thread (writer-thread.ts) for a store file,
 * on the caller's thread for an in-memory store. Either way writes are group-committed, and a
 * promise settles only after the commit that made its write durable.
 */
export interface StoreWriter {
  run<Name extends WriteName>(
    name: Name,
    ...args: Parameters<WriteOperations[Name]>
  ): Promise<ReturnType<WriteOperations[Name]>>;
  close(): Promise<void>;
}

/** Writes on the calling thread's connection `db`, group-committed (the writer thread runs one too). */
export class InThreadWriter implements StoreWriter {
  private readonly operations: WriteOperations;
  private readonly group: GroupCommit;

  constructor(db: Database.Database) {
    this.operations = writeOperations(db);
    this.group = new GroupCommit(db);
  }

  run<Name extends WriteName>(
    name: Name,
    ...args: Parameters<WriteOperations[Name]>
  ): Promise<ReturnType<WriteOperations[Name]>> {
    return this.runRequest(name, args) as Promise<ReturnType<WriteOperations[Name]>>;
  }

  /**
   * Runs a write as the writer thread receives it: a name and its arguments, whose types were
   * checked where run() was called on the other side.
   */
  runRequest(name: WriteName, args: readonly unknown[]): Promise<unknown> {
    // TypeScript cannot follow a name to its operation's signature through an index.
    const operations = this.operations as Record<
      WriteName,
      (...operationArgs: readonly unknown[]) => unknown
    >;
    return this.group.run(() => operations[name](...args));
  }

  /** Resolves once the writes queued so far are committed (the group runs on the next turn). */
  close(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
