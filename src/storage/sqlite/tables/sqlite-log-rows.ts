import type Database from 'better-sqlite3';
import type { AfterCommit, StoredOutcome } from '../../../domain/after-commit.js';
import type {
  CountedPage,
  InsertOutcome,
  KeysetPosition,
  LogRows,
  OffsetWindow,
} from '../../../domain/audit-store.js';
import type { Condition, TotalPart } from '../../../domain/conditions.js';
import type { LogRow, LogTable } from '../../../kinds/log-table.js';
import { asPromise } from '../engine/as-promise.js';
import type { StoreWriter } from '../engine/store-writer.js';
import { TableAccess } from './table-access.js';

/**
 * The common rows of one log kind on the embedded store: reads on the event loop's connection,
 * inserts through the writer (group-committed), each commit's new rows then published to the
 * after-commit seam.
 */
export class SqliteLogRows<Row extends LogRow> implements LogRows<Row> {
  readonly access: TableAccess<Row>;

  constructor(
    db: Database.Database,
    readonly table: LogTable<Row>,
    private readonly writer: StoreWriter,
    private readonly afterCommit: AfterCommit,
  ) {
    this.access = new TableAccess(db, table);
  }

  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    const batch = await this.writer.run({ type: 'insert-rows', table: this.table.table, rows });
    return this.published(rows, batch);
  }

  list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>> {
    return asPromise(() => this.access.list(conditions, totalParts, window));
  }

  page(conditions: readonly Condition[], after: KeysetPosition | undefined, limit: number): Promise<Row[]> {
    return asPromise(() => this.access.page(conditions, after, limit));
  }

  /** Hands the rows `batch` stored to the seam; returns the outcome the caller sees. */
  published(rows: readonly Row[], batch: StoredOutcome): Promise<InsertOutcome> {
    return this.afterCommit.publishStored(this.table, rows, batch);
  }
}
