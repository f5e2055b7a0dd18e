import { conditionsInUse, type Condition } from '../../domain/conditions.js';
import type { PgValue } from './pg-executor.js';

const quote = (column: string) => `"${column}"`;

/**
 * Collects parameters while SQL is assembled, numbering them $1, $2, … in the order they are bound.
 */
export class SqlBuilder {
  readonly params: PgValue[] = [];

  /** Binds one value and returns its placeholder. */
  bind(value: PgValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /**
   * One neutral condition: `"col" op $n`, or `("a", "b") op ($n, $m)` for a row. A `contains`
   * is strpos over the search copy, whose A–Z are folded already: only ASCII letters of the term
   * are folded, so both stores match the same rows whatever the locale makes of ILIKE.
   */
  condition(condition: Condition): string {
    const { columns, op, values } = condition;
    if (op === 'contains') {
      const folded = String(values[0]).replace(/[A-Z]/g, (letter) => letter.toLowerCase());
      return `strpos(${quote(columns[0] ?? '')}, ${this.bind(folded)}) > 0`;
    }
    const placeholders = values.map((value) => this.bind(value as PgValue));
    return columns.length === 1
      ? `${quote(columns[0] ?? '')} ${op} ${placeholders[0] ?? ''}`
      : `(${columns.map(quote).join(', ')}) ${op} (${placeholders.join(', ')})`;
  }

  /**
   * `WHERE a AND b …` of the conditions the caller asked for (every value given) and of the
   * adapter's own SQL `fragments` (their values bound already); '' when there is none.
   */
  where(conditions: readonly Condition[], fragments: readonly string[] = []): string {
    const parts = [
      ...conditionsInUse(conditions).map((condition) => this.condition(condition)),
      ...fragments,
    ];
    return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
  }
}
