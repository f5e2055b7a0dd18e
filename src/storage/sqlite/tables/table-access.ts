import type Database from 'better-sqlite3';
import type { StoredOutcome } from '../../../domain/after-commit.js';
import type {
  CountedPage,
  HistogramBuckets,
  KeysetPosition,
  OffsetWindow,
} from '../../../domain/audit-store.js';
import { bucketCount, countsByBucket, volumeHistogram } from '../../histogram-plan.js';
import { whereRow, type Condition, type TotalPart } from '../../../domain/conditions.js';
import {
  keysetOrder,
  readColumns,
  storedColumns,
  tallySpecs,
  type LogRow,
  type TallySpec,
  type LogTable,
} from '../../../kinds/log-table.js';
import { whereClause, type SqlValue, type SqliteFragment } from './sql-fragments.js';
import { StatementCache } from '../engine/statement-cache.js';

/**
 * One log table on one connection, driven by its description alone: idempotent batch insert with
 * its tallies, counted list and keyset page, the same for every log kind.
 */
export class TableAccess<Row extends LogRow> {
  private readonly statements: StatementCache;
  private readonly insertSql: string;
  /** The stored columns a read returns (readColumns: never the search copy nor the store-internal seq). */
  readonly selectColumns: string;
  readonly orderBy: string;
  /** Runs its argument in one read transaction (one snapshot); made once, not per list. */
  private readonly snapshot: (work: () => unknown) => unknown;
  /** The tables counting this one's rows (tallySpecs), each added to per inserted batch. */
  private readonly tallies: readonly TallySpec<Row>[];

  /** Statements are prepared on first use, so the tables may be created (migrated) after construction. */
  constructor(
    private readonly db: Database.Database,
    readonly table: LogTable<Row>,
  ) {
    this.statements = new StatementCache(db);
    const columns = storedColumns(table);
    this.selectColumns = readColumns(table)
      .map(([column]) => `"${column}"`)
      .join(', ');
    const placeholders = columns.map(([column]) => `@${column}`).join(', ');
    this.insertSql = `INSERT INTO ${table.table} (${columns.map(([column]) => `"${column}"`).join(', ')}) VALUES (${placeholders}) ON CONFLICT (tenant_id, id) DO NOTHING`;
    this.orderBy = keysetOrder(table);
    this.snapshot = db.transaction((work: () => unknown) => work());
    this.tallies = tallySpecs(table);
  }

  /**
   * Inserts every row (as stored: sealed) in one transaction, after `first` (which stores the
   * subject keys sealing them) and before `then`, which hears the rows stored (their leaves); rows
   * already stored are reported as existing, and the positions in `rows` of those stored now as
   * `stored`.
   */
  insertMany(rows: readonly Row[], first?: () => void, then?: (stored: Row[]) => void): StoredOutcome {
    const stored: number[] = [];
    const duplicates = this.db
      .transaction(() => {
        first?.();
        const existing = this.insertNew(rows, (index) => stored.push(index));
        then?.(stored.map((index) => rows[index] as Row));
        return existing;
      })
      .immediate();
    return { ids: rows.map((row) => row.id), duplicates, stored };
  }

  /**
   * Inserts the rows whose (tenant_id, id) is not stored yet and adds them to the table's tallies
   * and volume (tallySpecs); returns the ids of the others, in batch order. `afterInsert` runs for
   * each row inserted, with its index in `rows`. Opens no transaction: the caller's makes the batch
   * and its counts one. Inserts are counted here, one upsert per batch and distinct key, because a
   * row trigger's upsert costs about 40 % of ingest throughput; updates and deletes are counted by
   * triggers.
   */
  insertNew(rows: readonly Row[], afterInsert?: (index: number) => void): string[] {
    const insert = this.prepare(this.insertSql);
    const duplicates: string[] = [];
    const tallies = this.tallies.map((tally) => ({
      tally,
      counts: new Map<string, { key: SqlValue[]; n: number }>(),
    }));
    rows.forEach((row, index) => {
      if (insert.run(row).changes !== 1) {
        duplicates.push(row.id);
        return;
      }
      afterInsert?.(index);
      for (const { tally, counts } of tallies) {
        const key = tally.key(row);
        const id = JSON.stringify(key);
        const count = counts.get(id);
        if (count) count.n++;
        else counts.set(id, { key, n: 1 });
      }
    });
    for (const { tally, counts } of tallies) {
      if (counts.size === 0) continue;
      const columns = tally.columns.join(', ');
      const add = this.prepare(
        `INSERT INTO ${tally.table} (${columns}, n) VALUES (${tally.columns.map(() => '?').join(', ')}, ?)
           ON CONFLICT (${columns}) DO UPDATE SET n = n + excluded.n`,
      );
      for (const { key, n } of counts.values()) add.run(...key, n);
    }
    return duplicates;
  }

  /** One page and its total (the sum of `totalParts`), read from the same snapshot. */
  list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): CountedPage<Row> {
    const where = whereClause(conditions);
    const select = this.prepare(
      `SELECT ${this.selectColumns} FROM ${this.table.table} ${where.sql} ORDER BY ${this.orderBy} LIMIT ? OFFSET ?`,
    );
    const parts = totalParts.map((part) => {
      const partWhere = whereClause(part.conditions);
      const sql =
        part.source === 'tallies'
          ? `SELECT coalesce(sum(n), 0) FROM ${part.table} ${partWhere.sql}`
          : `SELECT count(*) FROM ${this.table.table} ${partWhere.sql}`;
      return { sql: `(${sql})`, params: partWhere.params };
    });
    const count = this.prepare(`SELECT ${parts.map((part) => part.sql).join(' + ')} AS total`);
    return this.snapshot(() => ({
      rows: select.all(...where.params, window.limit, window.offset) as Row[],
      total: (count.get(...parts.flatMap((part) => part.params)) as { total: number }).total,
    })) as CountedPage<Row>;
  }

  /** Up to `limit` rows newest first, strictly after `after`; `fragments` add this store's own SQL. */
  page(
    conditions: readonly Condition[],
    after: KeysetPosition | undefined,
    limit: number,
    fragments: readonly SqliteFragment[] = [],
  ): Row[] {
    const where = whereClause([...conditions, this.after(after)], fragments);
    return this.prepare(
      `SELECT ${this.selectColumns} FROM ${this.table.table} ${where.sql} ORDER BY ${this.orderBy} LIMIT ?`,
    ).all(...where.params, limit) as Row[];
  }

  /**
   * Rows per bucket (LogRows.histogram), from one statement: the volume table's sums when it can
   * answer (histogram-plan.ts), else a count of the rows in range through the conditions' index.
   */
  histogram(conditions: readonly Condition[], buckets: HistogramBuckets): number[] {
    const count = bucketCount(buckets);
    const volume = volumeHistogram(this.table, conditions, buckets);
    // better-sqlite3 binds a number as a REAL: the casts keep the bucket an integer division.
    if (volume !== undefined) {
      const where = whereClause(volume.conditions, [
        { sql: 'hour >= ? AND hour < ?', params: [volume.fromHour, volume.untilHour] },
      ]);
      const rows = this.prepare(
        `SELECT (hour - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, sum(n) AS n FROM ${volume.table} ${where.sql} GROUP BY bucket`,
      ).all(volume.fromHour, volume.widthHours, ...where.params) as { bucket: number; n: number }[];
      return countsByBucket(rows, count);
    }
    return this.countBuckets(conditions, buckets);
  }

  /**
   * Rows per bucket counted in the log table itself. `narrowing` lets another index choose the
   * candidates (the search file's trigram matches): its fragment, the connection that can read it
   * and the FROM clause to use; the conditions still decide what is counted.
   */
  countBuckets(
    conditions: readonly Condition[],
    buckets: HistogramBuckets,
    narrowing?: { fragment: SqliteFragment; prepare: (sql: string) => Database.Statement; from: string },
  ): number[] {
    const time = `"${this.table.timeColumn}"`;
    const fragments: SqliteFragment[] = [
      { sql: `${time} >= ? AND ${time} < ?`, params: [buckets.fromMs, buckets.untilMs] },
    ];
    if (narrowing !== undefined) fragments.push(narrowing.fragment);
    const where = whereClause(conditions, fragments);
    const prepare = narrowing?.prepare ?? ((sql: string) => this.prepare(sql));
    const rows = prepare(
      `SELECT (${time} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, count(*) AS n FROM ${narrowing?.from ?? this.table.table} ${where.sql} GROUP BY bucket`,
    ).all(buckets.fromMs, buckets.widthMs, ...where.params) as { bucket: number; n: number }[];
    return countsByBucket(rows, bucketCount(buckets));
  }

  /** The keyset step past `after`: left out when undefined. */
  after(after: KeysetPosition | undefined): Condition {
    return whereRow([this.table.timeColumn, 'id'], '<', [after?.time, after?.id]);
  }

  /** Prepares a statement once per distinct SQL text. */
  prepare(sql: string): Database.Statement {
    return this.statements.prepare(sql);
  }
}
