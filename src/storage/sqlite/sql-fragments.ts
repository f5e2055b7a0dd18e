/** A value better-sqlite3 binds. */
export type SqlValue = string | number | bigint | null;

/**
 * Joins conditions such as `['user_id = ?', 'usr_1']` into a WHERE clause. Conditions with an undefined
 * parameter are filters the caller did not ask for and are left out.
 */
export function whereClause(conditions: ReadonlyArray<readonly [string, ...(SqlValue | undefined)[]]>): {
  sql: string;
  params: SqlValue[];
} {
  const used = conditions.filter(([, ...params]) => params.every((param) => param !== undefined));
  return {
    sql: used.length === 0 ? '' : `WHERE ${used.map(([sql]) => sql).join(' AND ')}`,
    params: used.flatMap(([, ...params]) => params as SqlValue[]),
  };
}
