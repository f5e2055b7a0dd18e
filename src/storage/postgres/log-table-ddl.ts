import type { LogTable } from '../../kinds/log-table.js';
import { filterIndexes } from '../log-table-indexes.js';

const SQL_TYPE = { text: 'text COLLATE "C"', bigint: 'bigint' } as const;

/**
 * The DDL of a new log kind's table on PostgreSQL, from its description: the table range-
 * partitioned by month on its time column (primary key (tenant_id, time, id)) with its default
 * partition, its id-claim table, an index for listing every tenant by time, and one index per
 * entry of `filters` (tenant, the filter's columns, time, id). Text compares bytewise (COLLATE
 * "C"), as on SQLite; every column is NOT NULL. For migrations: the text of a released migration
 * must not change, so neither may what this returns for a released kind.
 */
export function logTableDdl(table: LogTable, filters: readonly (readonly string[])[]): string {
  const time = `"${table.timeColumn}"`;
  const columns = table.columns.map(([column, type]) => `"${column}" ${SQL_TYPE[type]} NOT NULL`);
  const indexes = filterIndexes(table, filters);
  return `
    CREATE TABLE ${table.table} (
      ${columns.join(',\n      ')},
      PRIMARY KEY (tenant_id, ${time}, id)
    ) PARTITION BY RANGE (${time});
    CREATE INDEX ${table.table}_all_tenants_by_time ON ${table.table} (${time}, id);
    ${indexes.join('\n    ')}
    CREATE TABLE ${table.table}_default PARTITION OF ${table.table} DEFAULT;
    CREATE TABLE ${table.keysTable} (
      tenant_id text COLLATE "C" NOT NULL,
      id        text COLLATE "C" NOT NULL,
      ${time}   bigint NOT NULL,
      PRIMARY KEY (tenant_id, id)
    );
  `;
}
