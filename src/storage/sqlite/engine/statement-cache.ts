import type Database from 'better-sqlite3';

/**
 * Prepares each distinct SQL text once on one connection. The texts come from code, never from
 * input (a few dozen filter combinations at most), so the cache stays small.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
