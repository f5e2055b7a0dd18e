import type Database from 'better-sqlite3';
import type { CountedPage, InsertOutcome, OffsetWindow } from '../../domain/audit-store.js';
import type { TallyTable, TotalPart } from '../list-totals.js';
import type { FilterCondition } from '../filter-conditions.js';
import { whereClause, type SqlValue } from './sql-fragments.js';
import { StatementCache } from './statement-cache.js';

/** A log table: its name, its columns in insert order and its keyset ordering. */
export interface TableSpec<Row> {
  table: string;
  columns: ReadonlyArray<keyof Row & string>;
  /** ORDER BY of every list: newest first, ties broken by id. */
  orderBy: string;
  /** The tally table counting the rows, for the tables whose list totals come from one. */
  tally?: TallySpec<Row>;
}

/**
 * How inserted rows are counted in a tally table (see list-totals.ts). Inserts are counted here,
 * per batch, because a row trigger's upsert costs about 40 % of ingest throughput; updates and
 * deletes, rare and one row at a time, are counted by triggers (migration 3).
 */
export interface TallySpec<Row> {
  table: TallyTable;
  /** The tally table's key columns; the count is its column `n`. */
  columns: readonly string[];
  /** A row's key values, in the order of `columns`. */
  key(row: Row): SqlValue[];
}

/**
 * Typed access to one log table: idempotent batch insert and counted list, shared by the three
 * log kinds so their repositories only state their filters.
 */
export class TableAccess<Row extends { id: string }> {
  private readonly statements: StatementCache;
  private readonly insertSql: string;

  /** Statements are prepared on first use, so the tables may be created (migrated) after construction. */
  constructor(
    private readonly db: Database.Database,
    private readonly spec: TableSpec<Row>,
  ) {
    this.statements = new StatementCache(db);
    const columns = spec.columns.map((column) => `"${column}"`).join(', ');
    const placeholders = spec.columns.map((column) => `@${column}`).join(', ');
    this.insertSql = `INSERT INTO ${spec.table} (${columns}) VALUES (${placeholders}) ON CONFLICT (tenant_id, id) DO NOTHING`;
  }

  /** Inserts every row in one transaction; rows already stored are reported as existing. */
  insertMany(rows: readonly Row[]): InsertOutcome {
    const duplicates = this.db.transaction(() => this.insertNew(rows)).immediate();
    return { ids: rows.map((row) => row.id), duplicates };
  }

  /**
   * Inserts the rows whose (tenant_id, id) is not stored yet and adds them to the table's tallies;
   * returns the ids of the others, in batch order. `afterInsert` runs for each row inserted, with
   * its index in `rows`. Opens no transaction: the caller's makes the batch and its tallies one.
   */
  insertNew(rows: readonly Row[], afterInsert?: (index: number) => void): string[] {
    const insert = this.prepare(this.insertSql);
    const duplicates: string[] = [];
    const counts = new Map<string, { key: SqlValue[]; n: number }>();
    const { tally } = this.spec;
    rows.forEach((row, index) => {
      if (insert.run(row).changes !== 1) {
        duplicates.push(row.id);
        return;
      }
      afterInsert?.(index);
      if (tally === undefined) return;
      const key = tally.key(row);
      const id = JSON.stringify(key);
      const count = counts.get(id);
      if (count) count.n++;
      else counts.set(id, { key, n: 1 });
    });
    if (tally !== undefined && counts.size > 0) {
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
    conditions: readonly FilterCondition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): CountedPage<Row> {
    const where = whereClause(conditions);
    const select = this.prepare(
      `SELECT * FROM ${this.spec.table} ${where.sql} ORDER BY ${this.spec.orderBy} LIMIT ? OFFSET ?`,
    );
    const parts = totalParts.map((part) => {
      const partWhere = whereClause(part.conditions);
      const sql =
        part.source === 'tallies'
          ? `SELECT coalesce(sum(n), 0) FROM ${part.table} ${partWhere.sql}`
          : `SELECT count(*) FROM ${this.spec.table} ${partWhere.sql}`;
      return { sql: `(${sql})`, params: partWhere.params };
    });
    const count = this.prepare(`SELECT ${parts.map((part) => part.sql).join(' + ')} AS total`);
    return this.db.transaction(() => ({
      rows: select.all(...where.params, window.limit, window.offset) as Row[],
      total: (count.get(...parts.flatMap((part) => part.params)) as { total: number }).total,
    }))();
  }

  /** Prepares a statement once per distinct SQL text. */
  prepare(sql: string): Database.Statement {
    return this.statements.prepare(sql);
  }
}
