import type { LogTable } from '../kinds/log-table.js';

/**
 * The CREATE INDEX statements of a new kind's filters, the same on both stores: one per entry of
 * `filters`, led by the tenant and ending in the keyset (time, id), named `<table>_by_<columns>`.
 */
export function filterIndexes(table: LogTable, filters: readonly (readonly string[])[]): string[] {
  return filters.map(
    (filter) =>
      `CREATE INDEX ${table.table}_by_${filter.join('_')} ON ${table.table} ` +
      `(tenant_id, ${filter.map((column) => `"${column}"`).join(', ')}, "${table.timeColumn}", id);`,
  );
}
