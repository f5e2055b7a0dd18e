import type { LogTable } from '../../../kinds/log-table.js';
import { filterIndexes } from '../../log-table-indexes.js';

const SQL_TYPE = { text: 'TEXT', bigint: 'INTEGER' } as const;

/**
 * The DDL of a new log kind's table on SQLite, from its description: the table with a `seq`
 * rowid growing in commit order, its (tenant_id, id) key, an index listing a tenant by time, one
 * listing every tenant by time, and one per entry of `filters` (tenant, the filter's columns,
 * time, id). Every column is NOT NULL. For migrations: the text of a released migration must not
 * change, so neither may what this returns for a released kind.
 */
export function logTableDdl(table: LogTable, filters: readonly (readonly string[])[]): string {
  const time = `"${table.timeColumn}"`;
  const columns = table.columns.map(([column, type]) => `"${column}" ${SQL_TYPE[type]} NOT NULL`);
  const indexes = filterIndexes(table, filters);
  return `
    CREATE TABLE ${table.table} (
      seq INTEGER PRIMARY KEY,
      ${columns.join(',\n      ')}
    );
    CREATE UNIQUE INDEX ${table.table}_by_id ON ${table.table} (tenant_id, id);
    CREATE INDEX ${table.table}_by_time ON ${table.table} (tenant_id, ${time}, id);
    CREATE INDEX ${table.table}_all_tenants_by_time ON ${table.table} (${time}, id);
    ${indexes.join('\n    ')}
  `;
}
