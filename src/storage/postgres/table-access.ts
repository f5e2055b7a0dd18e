import type { StoredOutcome } from '../../domain/after-commit.js';
import type {
  CountedPage,
  HistogramBuckets,
  KeysetPosition,
  OffsetWindow,
} from '../../domain/audit-store.js';
import { bucketCount, countsByBucket, volumeHistogram } from '../histogram-plan.js';
import { whereRow, type Condition, type TotalPart } from '../../domain/conditions.js';
import {
  keysetOrder,
  readColumns,
  storedColumns,
  type LogRow,
  type LogTable,
} from '../../kinds/log-table.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor, PgScalar } from './pg-executor.js';
import { SqlBuilder } from './sql-fragments.js';
import type { StoredSubjectKey } from '../../sealing/subject-key-ring.js';
import { subjectKeysCte } from './subject-key-repository.js';
import { talliedColumns, talliedCtes } from './tally-writes.js';

const quote = (column: string) => `"${column}"`;

/**
 * One log table on PostgreSQL, driven by its description alone: idempotent batch insert in one
 * round trip, counted list read from one snapshot and keyset page, the same for every log kind.
 */
export class PgTableAccess<Row extends LogRow> {
  /** The table's stored columns (see storedColumns), and as a list for SELECT. */
  readonly columns: ReadonlyArray<readonly [string, 'text' | 'bigint']>;
  readonly columnList: string;
  /** The stored columns a read returns (readColumns: not the search copy, which only searches use). */
  readonly readList: string;
  readonly orderBy: string;
  /** id and the columns the tallies read (talliedColumns), as a RETURNING list. */
  private readonly talliedList: string;

  constructor(
    private readonly db: PgExecutor,
    private readonly partitions: PartitionKeeper,
    readonly spec: LogTable<Row>,
  ) {
    this.columns = storedColumns(spec);
    this.columnList = this.columns.map(([column]) => quote(column)).join(', ');
    this.readList = readColumns(spec)
      .map(([column]) => quote(column))
      .join(', ');
    this.orderBy = keysetOrder(spec);
    this.talliedList = ['id', ...talliedColumns(spec)].map(quote).join(', ');
  }

  /**
   * `input` as a CTE: the rows as unnest()ed arrays, one parameter per column, so a batch of any
   * size is one statement with a fixed text (prepared once by PostgreSQL's plan cache).
   */
  inputCte(rows: readonly Row[], sql: SqlBuilder): string {
    return this.inputCteOver(
      this.columns.map(([column, type]) => {
        const values = rows.map((row) => (row as unknown as Record<string, PgScalar>)[column] ?? null);
        return `${sql.bind(values)}::${type}[]`;
      }),
    );
  }

  /** `input` over `arrays`, one SQL array expression per stored column in `columns` order. */
  inputCteOver(arrays: readonly string[]): string {
    // `position` (from 1) finds a row's leaf hash in claimCte's bytes.
    return `input AS (SELECT * FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS input(${this.columnList}, position))`;
  }

  /**
   * `claimed` as a CTE: claims each input row's (tenant_id, id); rows stored already are not
   * claimed, which makes the insert idempotent across partitions and concurrent batches.
   * `leafHashes`, a bound bytea of 32 bytes per input row in order, stores each row's leaf hash
   * with its claim (pg-leaf-reader.ts). `txid`, an xid8 expression, is the writing transaction
   * recorded in the claim; without it, the column's default (this database's own transaction).
   */
  claimCte(leafHashes?: string, txid?: string): string {
    const time = quote(this.spec.timeColumn);
    const hash =
      leafHashes === undefined
        ? 'NULL'
        : `substring(${leafHashes} from ((position - 1) * 32 + 1)::integer for 32)`;
    return `claimed AS (
      INSERT INTO ${this.spec.keysTable} (tenant_id, id, ${time}, leaf_hash${txid === undefined ? '' : ', txid'})
      SELECT tenant_id, id, ${time}, ${hash}${txid === undefined ? '' : `, ${txid}`} FROM input
      ON CONFLICT DO NOTHING RETURNING tenant_id, id)`;
  }

  /**
   * `stored` as a CTE: the claimed rows written to the log table, returning their keys and what
   * the tallies read; then the CTEs counting them in the tallies (talliedCtes).
   */
  storeCte(): string {
    return [
      `stored AS (
      INSERT INTO ${this.spec.table} (${this.columnList})
      SELECT ${this.columns.map(([column]) => `input.${quote(column)}`).join(', ')}
        FROM input JOIN claimed ON claimed.tenant_id = input.tenant_id AND claimed.id = input.id
      RETURNING ${this.talliedList})`,
      ...talliedCtes(this.spec, 'stored', '1'),
    ].join(', ');
  }

  /**
   * Notes the batch's months for the partition keeper, which makes those missing in the background
   * (their rows wait in the default partition meanwhile): a request never waits on partition DDL.
   */
  preparePartitions(rows: readonly Row[]): void {
    const time = this.spec.timeColumn;
    this.partitions.notice(rows.map((row) => (row as unknown as Record<string, number>)[time] ?? 0));
  }

  /**
   * Inserts the batch (sealed) and the subject keys sealing it in one statement: all or nothing;
   * rows stored already are reported.
   */
  async insertMany(
    rows: readonly Row[],
    subjectKeys: readonly StoredSubjectKey[] = [],
    leafHashes?: Buffer,
  ): Promise<StoredOutcome> {
    if (rows.length === 0) return { ids: [], duplicates: [], stored: [] };
    this.preparePartitions(rows);
    return outcomeWithout(rows, await this.insertSkipped(rows, subjectKeys, leafHashes));
  }

  /**
   * The batch statement run on `db` (the pool, or a transaction's connection): the positions
   * (from 0) of the rows it did not store, because they were stored already.
   */
  async insertSkipped(
    rows: readonly Row[],
    subjectKeys: readonly StoredSubjectKey[],
    leafHashes: Buffer | undefined,
    db: PgExecutor = this.db,
  ): Promise<number[]> {
    const sql = new SqlBuilder();
    const statement = this.insertStatement(
      this.inputCte(rows, sql),
      subjectKeysCte(subjectKeys, sql),
      leafHashes === undefined ? undefined : `${sql.bind(leafHashes)}::bytea`,
    );
    const skipped = await db.query<{ position: number }>(statement, sql.params);
    return skipped.map(({ position }) => position - 1);
  }

  /**
   * The batch statement: `input` (inputCte), the subject keys' CTEs, the claims with their leaf
   * hashes and `txid` (claimCte), the rows and their tallies (storeCte). It answers the positions
   * (from 1) of the input rows not stored, because stored already: only those come back (usually
   * none), since reading back every stored key cost the client about as much as sealing the batch.
   */
  insertStatement(input: string, subjectKeys: readonly string[], leafHashes?: string, txid?: string): string {
    const ctes = [input, ...subjectKeys, this.claimCte(leafHashes, txid), this.storeCte()];
    return `WITH ${ctes.join(', ')}
       SELECT input.position::integer AS position FROM input
        WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.tenant_id = input.tenant_id AND stored.id = input.id)`;
  }

  /**
   * One page and its total (the sum of `totalParts`) in one statement, so both come from the same
   * snapshot. The page travels as one JSON array, which keeps the empty page's total.
   */
  async list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>> {
    const sql = new SqlBuilder();
    const where = sql.where(conditions);
    const limit = sql.bind(window.limit);
    const offset = sql.bind(window.offset);
    const total = totalParts
      .map((part) =>
        part.source === 'tallies'
          ? `(SELECT coalesce(sum(n), 0) FROM ${part.table} ${sql.where(part.conditions)})`
          : `(SELECT count(*) FROM ${this.spec.table} ${sql.where(part.conditions)})`,
      )
      .join(' + ');
    const [result] = await this.db.query<{ total: number; rows: Row[] }>(
      `SELECT (${total})::bigint AS total,
              (SELECT coalesce(json_agg(page ORDER BY ${this.orderBy}), '[]')
                 FROM (SELECT ${this.readList} FROM ${this.spec.table} ${where}
                        ORDER BY ${this.orderBy} LIMIT ${limit} OFFSET ${offset}) AS page) AS rows`,
      sql.params,
    );
    return { rows: result?.rows ?? [], total: result?.total ?? 0 };
  }

  /**
   * Up to `limit` rows newest first, strictly after `after`. `fragments` add this store's own SQL,
   * written with `sql`'s placeholders; `order` may replace the keyset order's text (same order).
   */
  page(
    conditions: readonly Condition[],
    after: KeysetPosition | undefined,
    limit: number,
    sql = new SqlBuilder(),
    fragments: readonly string[] = [],
    order = this.orderBy,
  ): Promise<Row[]> {
    const where = sql.where([...conditions, this.after(after)], fragments);
    return this.db.query<Row>(
      `SELECT ${this.readList} FROM ${this.spec.table} ${where} ORDER BY ${order} LIMIT ${sql.bind(limit)}`,
      sql.params,
    );
  }

  /**
   * Rows per bucket (LogRows.histogram), from one statement: the volume table's sums when it can
   * answer (histogram-plan.ts), else a count of the rows in range through the conditions' index.
   * `narrowing` adds conditions that only steer the plan (the trigram index's ILIKE of a rare
   * key_words term); the conditions still decide what is counted.
   */
  async histogram(
    conditions: readonly Condition[],
    buckets: HistogramBuckets,
    narrowing?: (sql: SqlBuilder) => string[],
  ): Promise<number[]> {
    const count = bucketCount(buckets);
    const volume = volumeHistogram(this.spec, conditions, buckets);
    const sql = new SqlBuilder();
    if (volume !== undefined) {
      const from = sql.bind(volume.fromHour);
      const width = sql.bind(volume.widthHours);
      const where = sql.where(volume.conditions, [
        `hour >= ${from}::bigint AND hour < ${sql.bind(volume.untilHour)}::bigint`,
      ]);
      const rows = await this.db.query<{ bucket: string; n: string }>(
        `SELECT (hour - ${from}::bigint) / ${width}::bigint AS bucket, sum(n) AS n FROM ${volume.table} ${where} GROUP BY 1`,
        sql.params,
      );
      return countsByBucket(rows, count);
    }
    const time = quote(this.spec.timeColumn);
    const from = sql.bind(buckets.fromMs);
    const width = sql.bind(buckets.widthMs);
    const fragments = [
      `${time} >= ${from}::bigint AND ${time} < ${sql.bind(buckets.untilMs)}::bigint`,
      ...(narrowing?.(sql) ?? []),
    ];
    const rows = await this.db.query<{ bucket: string; n: string }>(
      `SELECT (${time} - ${from}::bigint) / ${width}::bigint AS bucket, count(*) AS n
         FROM ${this.spec.table} ${sql.where(conditions, fragments)} GROUP BY 1`,
      sql.params,
    );
    return countsByBucket(rows, count);
  }

  /** The keyset step past `after`: left out when undefined. */
  after(after: KeysetPosition | undefined): Condition {
    return whereRow([this.spec.timeColumn, 'id'], '<', [after?.time, after?.id]);
  }
}

/** The key of a row a statement stored. */
export interface StoredKey {
  tenant_id: string;
  id: string;
}

const keyOf = (row: StoredKey) => `${row.tenant_id}\u0000${row.id}`;

/** The outcome of inserting `rows` when those at `skipped` positions (from 0) were stored already. */
export function outcomeWithout(rows: readonly StoredKey[], skipped: readonly number[]): StoredOutcome {
  const notStored = new Set(skipped);
  const positions: number[] = [];
  const duplicates: string[] = [];
  rows.forEach((row, index) => {
    if (notStored.has(index)) duplicates.push(row.id);
    else positions.push(index);
  });
  return { ids: rows.map((row) => row.id), duplicates, stored: positions };
}

/** The outcome of a batch from the keys the statement stored. */
export function outcome(rows: readonly StoredKey[], stored: readonly StoredKey[]): StoredOutcome {
  const storedKeys = new Set(stored.map(keyOf));
  const positions: number[] = [];
  const duplicates: string[] = [];
  rows.forEach((row, index) => {
    if (storedKeys.has(keyOf(row))) positions.push(index);
    else duplicates.push(row.id);
  });
  return { ids: rows.map((row) => row.id), duplicates, stored: positions };
}
