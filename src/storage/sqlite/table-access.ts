import type Database from 'better-sqlite3';
import type { CountedPage, InsertOutcome, OffsetWindow } from '../audit-store.js';
import type { TotalPart } from '../list-totals.js';
import type { FilterCondition } from '../filter-conditions.js';
import { whereClause } from './sql-fragments.js';

/** A log table: its name, its columns in insert order and its keyset ordering. */
export interface TableSpec<Row> {
  table: string;
  columns: ReadonlyArray<keyof Row & string>;
  /** ORDER BY of every list: newest first, ties broken by id. */
  orderBy: string;
}

/**
 * Typed access to one log table: idempotent batch insert and counted list, shared by the three
 * log kinds so their repositories only state their filters.
 */
export class TableAccess<Row extends { id: string }> {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly insertSql: string;

  /** Statements are prepared on first use, so the tables may be created (migrated) after construction. */
  constructor(
    private readonly db: Database.Database,
    private readonly spec: TableSpec<Row>,
  ) {
    const columns = spec.columns.map((column) => `"${column}"`).join(', ');
    const placeholders = spec.columns.map((column) => `@${column}`).join(', ');
    this.insertSql = `INSERT INTO ${spec.table} (${columns}) VALUES (${placeholders}) ON CONFLICT (tenant_id, id) DO NOTHING`;
  }

  /** Inserts every row in one transaction; rows already stored are reported as existing. */
  insertMany(rows: readonly Row[]): InsertOutcome {
    const outcome: InsertOutcome = { ids: [], duplicates: [] };
    this.db
      .transaction(() => {
        for (const row of rows) {
          outcome.ids.push(row.id);
          if (!this.insertIfAbsent(row)) outcome.duplicates.push(row.id);
        }
      })
      .immediate();
    return outcome;
  }

  /**
   * Inserts one row unless its (tenant_id, id) is stored already; returns whether it was inserted.
   * Opens no transaction: callers batching rows wrap the calls in one.
   */
  insertIfAbsent(row: Row): boolean {
    return this.prepare(this.insertSql).run(row).changes === 1;
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

  /** Prepares a statement once per distinct SQL text (a few dozen filter combinations at most). */
  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
