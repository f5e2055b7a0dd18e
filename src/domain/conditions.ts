/**
 * Filters as data: shared code says which column compares how with which value, and each store
 * adapter compiles that into its own SQL and placeholders (storage/sqlite/tables/sql-fragments.ts,
 * storage/postgres/sql-fragments.ts). No SQL text is written here.
 */

/** A value a condition compares with. */
export type ConditionValue = string | number;

/**
 * How a column (or a row of columns) compares with the value(s). `contains`: the one column holds
 * the value as a substring, case-insensitive for ASCII letters only, `%` and `_` literal; it is
 * meant for a kind's search copy (SealingSpec.searchCopy: plaintext kept with A–Z folded), which
 * each store answers through its search index (storage/keyword-plan.ts).
 */
export type Comparison = '=' | '<' | '<=' | '>' | '>=' | 'contains';

/**
 * One WHERE condition: `columns` compared with `values` position by position, as a row value when
 * there are several (`(record_time, id) < (?, ?)`, the keyset step). An undefined value is a filter
 * the caller did not ask for: the condition is left out.
 */
export interface Condition {
  readonly columns: readonly string[];
  readonly op: Comparison;
  readonly values: readonly (ConditionValue | undefined)[];
}

/** `column op value`; left out when `value` is undefined. */
export function where(column: string, op: Comparison, value: ConditionValue | undefined): Condition {
  return { columns: [column], op, values: [value] };
}

/** `column` holds `term` as a substring (see Comparison); left out when `term` is undefined. */
export function contains(column: string, term: string | undefined): Condition {
  return { columns: [column], op: 'contains', values: [term] };
}

/** The term of the first `contains` condition in use, if any: a substring search the store plans. */
export function containedTerm(conditions: readonly Condition[]): string | undefined {
  const found = conditionsInUse(conditions).find((condition) => condition.op === 'contains');
  return found === undefined ? undefined : String(found.values[0]);
}

/** `(columns…) op (values…)` as a row comparison; left out when any value is undefined. */
export function whereRow(
  columns: readonly string[],
  op: Comparison,
  values: readonly (ConditionValue | undefined)[],
): Condition {
  return { columns, op, values };
}

/** The conditions whose values are all given: the filters the caller asked for. */
export function conditionsInUse(conditions: readonly Condition[]): Condition[] {
  return conditions.filter((condition) => condition.values.every((value) => value !== undefined));
}

/**
 * One addend of a counted list's `total`: a sum of `n` over a tally table (row counts per tenant
 * and filter value, kept in every write's transaction) or a count of the matching log rows. Both
 * stores have the same tally tables and columns.
 */
export type TotalPart =
  { source: 'tallies'; table: string; conditions: Condition[] } | { source: 'rows'; conditions: Condition[] };
