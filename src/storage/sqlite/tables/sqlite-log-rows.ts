import type Database from 'better-sqlite3';
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
 * inserts through the writer (group-committed; the writer of the process where writes commit
 * publishes them to the after-commit seam, see publishing-writer.ts).
 */
export class SqliteLogRows<Row extends LogRow> implements LogRows<Row> {
  readonly access: TableAccess<Row>;

  constructor(
    db: Database.Database,
    readonly table: LogTable<Row>,
    private readonly writer: StoreWriter,
  ) {
    this.access = new TableAccess(db, table);
  }

  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    const { ids, duplicates } = await this.writer.run({ type: 'insert-rows', table: this.table.table, rows });
    return { ids, duplicates };
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
}
