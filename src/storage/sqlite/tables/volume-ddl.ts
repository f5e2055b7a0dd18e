import { hourSql, volumeTally, type LogTable } from '../../../kinds/log-table.js';

const SQL_TYPE = { text: 'TEXT', bigint: 'INTEGER' } as const;

/**
 * The DDL of `table`'s volume table on SQLite (see VolumeSpec), filled from the rows stored
 * already, and the row triggers that count updates and deletes (the store adds inserted rows per
 * batch, TableAccess.insertNew, as for the tallies). A key brought to zero is removed, so that
 * hours emptied by retention leave nothing behind. For migrations: the text of a released
 * migration must not change, so neither may what this returns for a released kind.
 */
export function volumeDdl(table: LogTable): string {
  const volume = volumeTally(table);
  if (table.volume === undefined || volume === undefined) return '';
  const name = volume.table;
  const types = new Map(table.columns);
  const dimensions = table.volume.dimensions.map((column) => `"${column}"`);
  const columns = volume.columns.map((column) =>
    column === 'hour'
      ? 'hour INTEGER NOT NULL'
      : `"${column}" ${SQL_TYPE[types.get(column) ?? 'text']} NOT NULL`,
  );
  const keys = ['tenant_id', 'hour', ...dimensions].join(', ');
  const time = table.timeColumn;
  /** The key of the `old` or `new` row, in the order of `keys`. */
  const keyOf = (row: 'old' | 'new') => [
    `${row}.tenant_id`,
    hourSql(time, `${row}.`),
    ...dimensions.map((column) => `${row}.${column}`),
  ];
  const matchOld = ['tenant_id', 'hour', ...dimensions]
    .map((column, n) => `${column} = ${keyOf('old')[n] ?? ''}`)
    .join(' AND ');
  const forgetOld = `UPDATE ${name} SET n = n - 1 WHERE ${matchOld};
        DELETE FROM ${name} WHERE ${matchOld} AND n = 0;`;
  return `
      -- Rows of ${table.table} per tenant, UTC hour (floored, right before 1970 too) and ${table.volume.dimensions.join(', ')}.
      CREATE TABLE ${name} (
        ${columns.join(',\n        ')},
        n INTEGER NOT NULL,
        PRIMARY KEY (${keys})
      ) WITHOUT ROWID;
      INSERT INTO ${name} (${keys}, n)
        SELECT tenant_id, ${hourSql(time)} AS hour, ${dimensions.join(', ')}, count(*)
          FROM ${table.table} GROUP BY ${keys};
      CREATE TRIGGER ${name}_update AFTER UPDATE OF tenant_id, "${time}", ${dimensions.join(', ')}
        ON ${table.table} BEGIN
        ${forgetOld}
        INSERT INTO ${name} (${keys}, n) VALUES (${keyOf('new').join(', ')}, 1)
          ON CONFLICT (${keys}) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER ${name}_delete AFTER DELETE ON ${table.table} BEGIN
        ${forgetOld}
      END;
  `;
}
