import type { AfterCommit, StoredOutcome } from '../../domain/after-commit.js';
import type {
  CountedPage,
  InsertOutcome,
  KeysetPosition,
  LogRows,
  OffsetWindow,
} from '../../domain/audit-store.js';
import type { Condition, TotalPart } from '../../domain/conditions.js';
import type { LogRow, LogTable } from '../../kinds/log-table.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor } from './pg-executor.js';
import { PgTableAccess } from './table-access.js';

/**
 * The common rows of one log kind on PostgreSQL; each insert's new rows are published to the
 * after-commit seam once its statement (its own transaction) has committed.
 */
export class PgLogRows<Row extends LogRow> implements LogRows<Row> {
  readonly access: PgTableAccess<Row>;

  constructor(
    db: PgExecutor,
    partitions: PartitionKeeper,
    readonly table: LogTable<Row>,
    private readonly afterCommit: AfterCommit,
  ) {
    this.access = new PgTableAccess(db, partitions, table);
  }

  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    return this.published(rows, await this.access.insertMany(rows));
  }

  list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>> {
    return this.access.list(conditions, totalParts, window);
  }

  page(conditions: readonly Condition[], after: KeysetPosition | undefined, limit: number): Promise<Row[]> {
    return this.access.page(conditions, after, limit);
  }

  /** Hands the rows `batch` stored to the seam; returns the outcome the caller sees. */
  published(rows: readonly Row[], batch: StoredOutcome): Promise<InsertOutcome> {
    return this.afterCommit.publishStored(this.table, rows, batch);
  }
}
