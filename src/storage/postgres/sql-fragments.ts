import type { FilterCondition } from '../filter-conditions.js';
import type { PgValue } from './pg-executor.js';

/**
 * Collects parameters while SQL is assembled, numbering them $1, $2, … in the order they are bound.
 * Conditions with an undefined parameter are filters the caller did not ask for and are left out.
 */
export class SqlBuilder {
  readonly params: PgValue[] = [];

  /** Binds one value and returns its placeholder. */
  bind(value: PgValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** `WHERE a AND b …` of the conditions whose parameters are all defined; '' when none is. */
  where(conditions: readonly FilterCondition[]): string {
    const used = conditions.filter(([, ...params]) => params.every((param) => param !== undefined));
    if (used.length === 0) return '';
    const parts = used.map(([sql, ...params]) => {
      let index = 0;
      return sql.replace(/\?/g, () => this.bind(params[index++] as PgValue));
    });
    return `WHERE ${parts.join(' AND ')}`;
  }
}
