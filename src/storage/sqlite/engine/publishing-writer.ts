import type { AfterCommit, StoredOutcome } from '../../../domain/after-commit.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { logTableNamed } from '../../../kinds/log-tables.js';
import type { GroupCommitTotals, StoreWriter } from './store-writer.js';
import type { WriteCommand, WriteResult } from './write-commands.js';

/**
 * The writer of the process where the embedded store's writes commit, feeding the after-commit
 * seam: each command that stored log rows hands them to `afterCommit` once committed. Writes sent
 * from other processes (WORKERS) run through it too, so the seam hears every commit, once, here.
 */
export class PublishingWriter implements StoreWriter {
  constructor(
    private readonly writer: StoreWriter,
    private readonly afterCommit: AfterCommit,
  ) {}

  async run<Command extends WriteCommand>(command: Command): Promise<WriteResult<Command>> {
    const result = await this.writer.run(command);
    await this.publish(command, result);
    return result;
  }

  /** Runs a command received as data (from another process), its type checked where it was sent. */
  runRequest(command: WriteCommand): Promise<unknown> {
    return this.run(command);
  }

  close(): Promise<void> {
    return this.writer.close();
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
