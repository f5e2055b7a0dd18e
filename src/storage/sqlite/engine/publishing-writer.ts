import type { AfterCommit, StoredOutcome } from '../../../domain/after-commit.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { logTableNamed } from '../../../kinds/log-tables.js';
import type { GroupCommitTotals, PackedWriter, StoreWriter } from './store-writer.js';
import {
  isPacked,
  unpackCommand,
  type PackedWriteCommand,
  type WriteCommand,
  type WriteResult,
} from './write-commands.js';

/**
 * The writer of the process where the embedded store's writes commit, feeding the after-commit
 * seam: each command that stored log rows hands them to `afterCommit` once committed. Writes sent
 * from other processes (WORKERS) run through it too, so the seam hears every commit, once, here.
 */
export class PublishingWriter implements StoreWriter {
  constructor(
    private readonly writer: PackedWriter,
    private readonly afterCommit: AfterCommit,
  ) {}

  async run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    const result = await this.writer.run(command);
    await this.publish(command, result);
    return result;
  }

  /**
   * Runs a command received from another process, its type checked where it was sent. A packed
   * one goes to the writer as bytes, and its commit is published as counts: this process never
   * clones the rows, unless a subscriber of the seam needs them.
   */
  async runRequest(command: WriteCommand | PackedWriteCommand): Promise<unknown> {
    if (!isPacked(command)) return this.run(command);
    if (this.rowsWanted()) return this.run(unpackCommand(command));
    const { value, appended } = await this.writer.runPacked(command);
    // A subscriber that wants rows may have subscribed while the write ran.
    if (this.rowsWanted()) {
      await this.publish(unpackCommand(command), value);
      return value;
    }
    const table =
      command.type === 'import-communication-logs'
        ? COMMUNICATION_LOG_TABLE
        : command.table === undefined
          ? undefined
          : logTableNamed(command.table);
    if (table !== undefined) await this.afterCommit.publishCounts(table, appended);
    return value;
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  /** A subscriber of the seam hears rows, not only counts (asked afresh each time: it can change). */
  private rowsWanted(): boolean {
    return this.afterCommit.needsRows;
  }

  queueDepth(): number {
    return this.writer.queueDepth();
  }

  groupCommits(): GroupCommitTotals {
    return this.writer.groupCommits();
  }

  private async publish(command: WriteCommand, result: unknown): Promise<void> {
    if (command.type === 'insert-rows') {
      const table = logTableNamed(command.table);
      if (table !== undefined)
        await this.afterCommit.publishStored(table, command.rows, result as StoredOutcome);
    } else if (command.type === 'import-communication-logs') {
      const logs = command.entries.map(({ log }) => log);
      await this.afterCommit.publishStored(COMMUNICATION_LOG_TABLE, logs, result as StoredOutcome);
    }
  }
}
