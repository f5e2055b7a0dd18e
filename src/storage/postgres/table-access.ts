import type { CountedPage, InsertOutcome, OffsetWindow } from '../../domain/audit-store.js';
import type { PartitionKeeper } from './partitions.js';
import type { PgExecutor, PgScalar } from './pg-executor.js';
import type { FilterCondition } from '../filter-conditions.js';
import type { TotalPart } from '../list-totals.js';
import { SqlBuilder } from './sql-fragments.js';

/** A partitioned log table: its columns with their SQL types, its time column and id-claim table. */
export interface PgTableSpec<Row> {
  table: string;
  /** Holds (tenant_id, id, time) of every stored row: the uniqueness partitions cannot enforce. */
  keysTable: string;
  timeColumn: keyof Row & string;
  /** Columns in insert order, each with the SQL type its unnest array is cast to. */
  columns: ReadonlyArray<readonly [keyof Row & string, 'text' | 'bigint']>;
  /** ORDER BY of every list: newest first, ties broken by id. */
  orderBy: string;
}

const quote = (column: string) => `"${column}"`;

/**
 * Typed access to one log table on PostgreSQL: idempotent batch insert in one round trip and a
 * counted list read from one snapshot, shared by the three log kinds.
 */
export class PgTableAccess<Row extends { tenant_id: string; id: string }> {
  private readonly columnList: string;

  constructor(
    private readonly db: PgExecutor,
    private readonly partitions: PartitionKeeper,
    readonly spec: PgTableSpec<Row>,
  ) {
    this.columnList = spec.columns.map(([column]) => quote(column)).join(', ');
  }

  /**
   * `input` as a CTE: the rows as unnest()ed arrays, one parameter per column, so a batch of any
   * size is one statement with a fixed text (prepared once by PostgreSQL's plan cache).
   */
  inputCte(rows: readonly Row[], sql: SqlBuilder): string {
    const arrays = this.spec.columns.map(
      ([column, type]) => `${sql.bind(rows.map((row) => row[column] as PgScalar))}::${type}[]`,
    );
    return `input AS (SELECT * FROM unnest(${arrays.join(', ')}) AS input(${this.columnList}))`;
  }

  /**
   * `claimed` as a CTE: claims each input row's (tenant_id, id); rows stored already are not
   * claimed, which makes the insert idempotent across partitions and concurrent batches.
   */
  claimCte(): string {
    const time = quote(this.spec.timeColumn);
    return `claimed AS (
      INSERT INTO ${this.spec.keysTable} (tenant_id, id, ${time}) SELECT tenant_id, id, ${time} FROM input
      ON CONFLICT DO NOTHING RETURNING tenant_id, id)`;
  }

  /** `stored` as a CTE: the claimed rows written to the log table. */
  storeCte(): string {
    return `stored AS (
      INSERT INTO ${this.spec.table} (${this.columnList})
      SELECT ${this.spec.columns.map(([column]) => `input.${quote(column)}`).join(', ')}
        FROM input JOIN claimed ON claimed.tenant_id = input.tenant_id AND claimed.id = input.id
      RETURNING tenant_id, id)`;
  }

  /** Ensures the batch's months have partitions (rarely a round trip). */
  preparePartitions(rows: readonly Row[]): Promise<void> {
    return this.partitions.ensure(rows.map((row) => row[this.spec.timeColumn] as number));
  }

  /** Inserts the batch in one statement: all rows or none; rows stored already are reported. */
  async insertMany(rows: readonly Row[]): Promise<InsertOutcome> {
    if (rows.length === 0) return { ids: [], duplicates: [] };
    await this.preparePartitions(rows);
    const sql = new SqlBuilder();
    const stored = await this.db.query<StoredKey>(
      `WITH ${this.inputCte(rows, sql)}, ${this.claimCte()}, ${this.storeCte()} SELECT tenant_id, id FROM stored`,
      sql.params,
    );
    return outcome(rows, stored);
  }

  /**
   * One page and its total (the sum of `totalParts`) in one statement, so both come from the same
   * snapshot. The page travels as one JSON array, which keeps the empty page's total.
   */
  async list(
    conditions: readonly FilterCondition[],
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
              (SELECT coalesce(json_agg(page ORDER BY ${this.spec.orderBy}), '[]')
                 FROM (SELECT ${this.columnList} FROM ${this.spec.table} ${where}
                        ORDER BY ${this.spec.orderBy} LIMIT ${limit} OFFSET ${offset}) AS page) AS rows`,
      sql.params,
    );
    return { rows: result?.rows ?? [], total: result?.total ?? 0 };
  }
}

/** The key of a row a statement stored. */
export interface StoredKey {
  tenant_id: string;
  id: string;
}

const keyOf = (row: StoredKey) => `${row.tenant_id}\u0000${row.id}`;

/** The InsertOutcome of a batch from the keys the statement stored. */
export function outcome(rows: readonly StoredKey[], stored: readonly StoredKey[]): InsertOutcome {
  const storedKeys = new Set(stored.map(keyOf));
  return {
    ids: rows.map((row) => row.id),
    duplicates: rows.filter((row) => !storedKeys.has(keyOf(row))).map((row) => row.id),
  };
}
