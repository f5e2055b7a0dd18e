import type Database from 'better-sqlite3';
import type {
  CountedPage,
  HistogramBuckets,
  InsertOutcome,
  KeysetPosition,
  LogRows,
  OffsetWindow,
  ReadOptions,
} from '../../../domain/audit-store.js';
import { containedTerm, type Condition, type TotalPart } from '../../../domain/conditions.js';
import { newRecordLeafHashes } from '../../../integrity/leaves/leaf-builder.js';
import type { LogRow, LogTable } from '../../../kinds/log-table.js';
import type { RowSealer, StoredRow } from '../../../sealing/row-sealer.js';
import type { StoreWriter } from '../engine/store-writer.js';
import { asPromise } from '../engine/as-promise.js';
import type { SqliteKeywordPages } from '../search/keyword-pages.js';
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
    readonly sealer: RowSealer,
    /** Answers pages and histograms with a `contains` condition through the search index (tables with a search copy). */
    private readonly keywords?: SqliteKeywordPages,
  ) {
    this.access = new TableAccess(db, table);
  }

  /** Seals and hashes the rows here, in the process that received them, so the writer only stores them. */
  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    const sealed = await this.sealer.sealRows(this.table, rows);
    // Hashed here too, so that the one writer only appends the hashes to the tree.
    const leafHashes = newRecordLeafHashes(this.table.kind, sealed.rows);
    const { ids, duplicates } = await this.writer.run({
      type: 'insert-rows',
      table: this.table.table,
      rows: sealed.rows,
      subjectKeys: sealed.newKeys,
      ...(leafHashes === undefined ? {} : { leafHashes }),
    });
    this.sealer.adopt(sealed.newKeys);
    return { ids, duplicates };
  }

  async list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>> {
    const { rows, total } = this.access.list(conditions, totalParts, window);
    return { rows: await this.open(rows), total };
  }

  async page(
    conditions: readonly Condition[],
    after: KeysetPosition | undefined,
    limit: number,
    options?: ReadOptions,
  ): Promise<Row[]> {
    const term = containedTerm(conditions);
    if (term === undefined || this.keywords === undefined) {
      return this.open(this.access.page(conditions, after, limit), options);
    }
    return this.open(
      this.keywords.page(this.access, [...conditions, this.access.after(after)], term, limit),
      options,
    );
  }

  histogram(conditions: readonly Condition[], buckets: HistogramBuckets): Promise<number[]> {
    const term = containedTerm(conditions);
    const { keywords } = this;
    return asPromise(() =>
      term === undefined || keywords === undefined
        ? this.access.histogram(conditions, buckets)
        : keywords.histogram(this.access, conditions, term, buckets),
    );
  }

  /** Rows as read from the table (sealed) as the APIs show them. */
  open(rows: readonly Row[], options?: ReadOptions): Promise<Row[]> {
    return this.sealer.openRows(this.table, rows as readonly StoredRow[], options);
  }
}
