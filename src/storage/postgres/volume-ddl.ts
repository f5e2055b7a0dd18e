import { tallySpecs, volumeTally, type LogTable, type TallySpec } from '../../kinds/log-table.js';

const SQL_TYPE = { text: 'text COLLATE "C"', bigint: 'bigint' } as const;

/** `columns` quoted and joined, for a key list. */
const keyList = (columns: readonly string[]) => columns.map((column) => `"${column}"`).join(', ');

/** 1, 2, …, n: positions for GROUP BY and ORDER BY. */
const positions = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(', ');

/**
 * The DDL of `table`'s volume table on PostgreSQL (see VolumeSpec), filled from the rows stored
 * already, and the statement triggers that keep it: each statement adds its rows' counts in one
 * upsert in key order, as the tallies' triggers do (so concurrent writers cannot deadlock on its
 * rows, taken after the tallies': triggers fire in name order), and an update or delete removes the
 * keys it brought to zero, so that hours emptied by retention leave nothing behind. For
 * migrations: the text of a released migration must not change, so neither may what this returns
 * for a released kind.
 */
export function volumeDdl(table: LogTable): string {
  const volume = volumeTally(table);
  if (table.volume === undefined || volume === undefined) return '';
  const name = volume.table;
  const types = new Map(table.columns);
  const columns = volume.columns.map((column) =>
    column === 'hour'
      ? 'hour bigint NOT NULL'
      : `"${column}" ${SQL_TYPE[types.get(column) ?? 'text']} NOT NULL`,
  );
  const keys = keyList(volume.columns);
  const key = volume.sql.join(', ');
  const groups = positions(volume.columns.length);
  const upsert = `ON CONFLICT (${keys}) DO UPDATE SET n = t.n + excluded.n`;
  const match = volume.columns.map((column) => `t."${column}" = z."${column}"`).join(' AND ');
  const dropZeros = `DELETE FROM ${name} t USING (SELECT DISTINCT ${key} FROM old_rows) AS z (${keys})
           WHERE ${match} AND t.n = 0;`;
  const fn = `sealog_volume_${table.table}`;
  return `
    -- Rows of ${table.table} per tenant, UTC hour (floored, right before 1970 too) and ${table.volume.dimensions.join(', ')}.
    CREATE TABLE ${name} (
      ${columns.join(',\n      ')},
      n bigint NOT NULL,
      PRIMARY KEY (${keys})
    );
    INSERT INTO ${name} (${keys}, n)
      SELECT ${key}, count(*) FROM ${table.table} GROUP BY ${groups};
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO ${name} AS t (${keys}, n)
          SELECT ${key}, count(*) FROM new_rows GROUP BY ${groups} ORDER BY ${groups}
          ${upsert};
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO ${name} AS t (${keys}, n)
          SELECT ${keys}, sum(delta) FROM (
            SELECT ${key}, 1 AS delta FROM new_rows
            UNION ALL SELECT ${key}, -1 FROM old_rows) AS changes (${keys}, delta)
          GROUP BY ${groups} HAVING sum(delta) <> 0 ORDER BY ${groups}
          ${upsert};
        ${dropZeros}
      ELSE
        INSERT INTO ${name} AS t (${keys}, n)
          SELECT ${key}, -count(*) FROM old_rows GROUP BY ${groups} ORDER BY ${groups}
          ${upsert};
        ${dropZeros}
      END IF;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER ${name}_insert AFTER INSERT ON ${table.table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER ${name}_update AFTER UPDATE ON ${table.table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER ${name}_delete AFTER DELETE ON ${table.table}
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
  `;
}

/**
 * SQL taking the rows of the table named by the plpgsql variable `source` out of `tally` (a
 * format() string, `%` doubled, with `source` as its argument), then, for a volume, the keys it
 * brought to zero.
 */
function subtractFrom(tally: TallySpec<never>, isVolume: boolean, source: string): string {
  const keys = keyList(tally.columns);
  const key = tally.sql.join(', ').replaceAll('%', '%%');
  const groups = positions(tally.columns.length);
  const match = tally.columns.map((column) => `t."${column}" = z."${column}"`).join(' AND ');
  const subtract = `EXECUTE format($sql$
            INSERT INTO ${tally.table} AS t (${keys}, n)
              SELECT ${key}, -count(*) FROM %s GROUP BY ${groups} ORDER BY ${groups}
              ON CONFLICT (${keys}) DO UPDATE SET n = t.n + excluded.n$sql$, ${source});`;
  if (!isVolume) return subtract;
  return `${subtract}
          EXECUTE format($sql$
            DELETE FROM ${tally.table} t USING (SELECT DISTINCT ${key} FROM %s) AS z (${keys})
             WHERE ${match} AND t.n = 0$sql$, ${source});`;
}

/**
 * sealog_drop_partition (migration 3's, an operator's tool, see docs/scale-out.md) again, now
 * taking the dropped rows out of every table counting them (tallySpecs: tallies and volumes),
 * written from the kinds' descriptions in `tables`.
 */
export function dropPartitionDdl(tables: readonly LogTable[]): string {
  const branches = tables.map((table) => {
    const volume = volumeTally(table)?.table;
    const counts = tallySpecs(table).map((tally) =>
      subtractFrom(tally as TallySpec<never>, tally.table === volume, 'part'),
    );
    const dependents = (table.dependentTables ?? []).map(
      (dependent) => `EXECUTE format('DELETE FROM ${dependent} t USING %s p
            WHERE t.tenant_id = p.tenant_id AND t.${table.dependentKey ?? 'log_id'} = p.id', part);`,
    );
    return `parent = '${table.table}' THEN
          ${[...counts, ...dependents].join('\n          ')}`;
  });
  return `
      CREATE OR REPLACE FUNCTION sealog_drop_partition(p_partition text) RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        part regclass := p_partition::regclass;
        parent_oid oid;
        parent text;
        keys regclass;
        dropped bigint;
      BEGIN
        SELECT c.oid, c.relname INTO parent_oid, parent
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE i.inhrelid = part;
        IF parent IS NULL OR to_regclass(parent) IS DISTINCT FROM parent_oid::regclass THEN
          RAISE EXCEPTION '% is not a partition of a sealog log table', p_partition;
        END IF;
        keys := to_regclass(regexp_replace(parent, 's$', '') || '_keys');
        IF keys IS NULL THEN
          RAISE EXCEPTION '% is not a partition of a sealog log table', p_partition;
        END IF;
        IF (SELECT relname FROM pg_class WHERE oid = part) = parent || '_default' THEN
          RAISE EXCEPTION '% is the default partition, which rows outside every month need', p_partition;
        END IF;
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', parent::regclass);
        EXECUTE format('SELECT count(*) FROM %s', part) INTO dropped;
        IF ${branches.join('\n        ELSIF ')}
        END IF;
        EXECUTE format('DELETE FROM %s k USING %s p WHERE k.tenant_id = p.tenant_id AND k.id = p.id', keys, part);
        EXECUTE format('DROP TABLE %s', part);
        RETURN dropped;
      END
      $fn$;
  `;
}

/**
 * Drops the statement triggers (and their functions) that counted `tables`' rows in their tallies
 * (migration 2) and volumes (volumeDdl) before the writes counted them themselves (tally-writes.ts).
 */
export function dropCountingTriggersDdl(tables: readonly LogTable[]): string {
  return tables
    .flatMap((table) => {
      const volume = volumeTally(table)?.table;
      const counted = [
        ...(table.tally === undefined ? [] : [[table.tally.table, `sealog_tally_${table.table}`]]),
        ...(volume === undefined ? [] : [[volume, `sealog_volume_${table.table}`]]),
      ];
      return counted.flatMap(([name, fn]) => [
        ...['insert', 'update', 'delete'].map(
          (op) => `DROP TRIGGER IF EXISTS ${name}_${op} ON ${table.table};`,
        ),
        `DROP FUNCTION IF EXISTS ${fn}();`,
      ]);
    })
    .join('\n');
}
