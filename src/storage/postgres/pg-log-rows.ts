import type { TenantIngest } from './citus/tenant-ingest.js';
import type { AfterCommit, StoredOutcome } from '../../domain/after-commit.js';
import type {
  CountedPage,
  HistogramBuckets,
  InsertOutcome,
  KeysetPosition,
  LogRows,
  OffsetWindow,
  ReadOptions,
} from '../../domain/audit-store.js';
import { containedTerm, type Condition, type TotalPart } from '../../domain/conditions.js';
import type { PgKeywordPages } from './keyword-pages.js';
import { newRecordLeafHashes } from '../../integrity/leaves/leaf-builder.js';
import type { LogRow, LogTable } from '../../kinds/log-table.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor } from './pg-executor.js';
import { PgTableAccess } from './table-access.js';
import type { RowSealer, StoredRow } from '../../sealing/row-sealer.js';

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
    readonly sealer: RowSealer,
    /** Answers pages with a `contains` condition through the search index (tables with a search copy). */
    private readonly keywords?: PgKeywordPages,
    /** Routes batches tenant by tenant to the workers, when the database is a Citus coordinator. */
    private readonly tenantIngest?: TenantIngest,
  ) {
    this.access = new PgTableAccess(db, partitions, table);
  }

  /** Seals the rows, stores them with the subject keys made for them, then publishes them as stored. */
  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    const sealed = await this.sealer.sealRows(this.table, rows);
    const stored = sealed.rows as unknown as Row[];
    // Stored with the claims, so that the sequencer need not read the records back.
    const leafHashes = newRecordLeafHashes(this.table.kind, stored);
    const byTenant = (await this.tenantIngest?.applies()) === true ? this.tenantIngest : undefined;
    const outcome =
      byTenant !== undefined
        ? await byTenant.insertMany(this.access, stored, sealed.newKeys, leafHashes)
        : await this.access.insertMany(stored, sealed.newKeys, leafHashes);
    this.sealer.adopt(sealed.newKeys);
    return this.published(stored, outcome);
  }

  async list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>> {
    const { rows, total } = await this.access.list(conditions, totalParts, window);
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
      return this.open(await this.access.page(conditions, after, limit), options);
    }
    const withStep = [...conditions, this.access.after(after)];
    return this.open(await this.keywords.page(this.access, withStep, term, limit), options);
  }

  histogram(conditions: readonly Condition[], buckets: HistogramBuckets): Promise<number[]> {
    const term = containedTerm(conditions);
    if (term === undefined || this.keywords === undefined) return this.access.histogram(conditions, buckets);
    return this.keywords.histogram(this.access, conditions, term, buckets);
  }

  /** Rows as read from the table (sealed) as the APIs show them. */
  open(rows: readonly Row[], options?: ReadOptions): Promise<Row[]> {
    return this.sealer.openRows(this.table, rows as unknown as readonly StoredRow[], options);
  }

  /** Hands the rows `batch` stored (as stored: sealed) to the seam; returns the outcome the caller sees. */
  published(rows: readonly Row[], batch: StoredOutcome): Promise<InsertOutcome> {
    return this.afterCommit.publishStored(this.table, rows, batch);
  }
}
