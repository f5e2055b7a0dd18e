import { conditionsInUse, type Condition } from '../../../domain/conditions.js';
import { containsPattern } from '../../keyword-plan.js';

/** A value better-sqlite3 binds. */
export type SqlValue = string | number | bigint | null;

/** SQL this adapter writes itself (a search it alone can make), with its `?` parameters. */
export interface SqliteFragment {
  sql: string;
  params: SqlValue[];
}

const quote = (column: string) => `"${column}"`;

/**
 * One neutral condition as SQLite SQL: `"col" op ?`, or `("a", "b") op (?, ?)` for a row. A
 * `contains` is a LIKE, which SQLite folds for ASCII letters only, as the condition means.
 */
export function compileCondition(condition: Condition): SqliteFragment {
  const { columns, op, values } = condition;
  if (op === 'contains') {
    return {
      sql: `${quote(columns[0] ?? '')} LIKE ? ESCAPE '\\'`,
      params: [containsPattern(String(values[0]))],
    };
  }
  const placeholders = values.map(() => '?');
  const sql =
    columns.length === 1
      ? `${quote(columns[0] ?? '')} ${op} ?`
      : `(${columns.map(quote).join(', ')}) ${op} (${placeholders.join(', ')})`;
  return { sql, params: values as SqlValue[] };
}

/**
 * The WHERE clause of `conditions` (those the caller asked for: every value given) and of the
 * adapter's own `fragments`; '' when there is none.
 */
export function whereClause(
  conditions: readonly Condition[],
  fragments: readonly SqliteFragment[] = [],
): SqliteFragment {
  const parts = [...conditionsInUse(conditions).map(compileCondition), ...fragments];
  return {
    sql: parts.length === 0 ? '' : `WHERE ${parts.map((part) => part.sql).join(' AND ')}`,
    params: parts.flatMap((part) => part.params),
  };
}
