/** Every stored log row belongs to one tenant and is identified by its id within it. */
export interface LogRow {
  tenant_id: string;
  id: string;
}

/** How a column is stored: text, or a 64-bit integer (times are epoch ms). Both may hold null. */
export type ColumnType = 'text' | 'bigint';

/**
 * How a kind's rows are counted in a tally table, for list totals that do not count millions of
 * rows. Each store counts them in the same transaction as the writes: SQLite adds inserts per batch
 * and counts updates and deletes by triggers; PostgreSQL counts every write in its own statement
 * (tally-writes.ts), since Citus runs no statement triggers on distributed tables.
 */
export interface TallySpec<Row> {
  table: string;
  /** The tally table's key columns; the count is its column `n`. */
  columns: readonly string[];
  /** A row's key values, in the order of `columns`. */
  key(row: Row): (string | number)[];
  /**
   * The same key as SQL expressions over the log table's columns, in the order of `columns`: what
   * PostgreSQL's tally triggers compute, for a store that takes a whole partition's rows out of the
   * tally at once.
   */
  sql: readonly string[];
  /** The log table's columns `sql` reads: what a write must return for the store to count its rows. */
  reads: readonly string[];
}

/** One hour in ms: the bucket of every kind's volume table (UTC hours from 1970-01-01). */
export const HOUR_MS = 3_600_000;

/**
 * A kind's row counts per (tenant, UTC hour, `dimensions`…): a pre-aggregate that a histogram of
 * hours or days sums instead of counting millions of rows. Kept exactly as a tally (its TallySpec
 * is volumeTally()), so the dimensions should be columns of few values (the filters of a closed
 * set: channel, status, action…); a filter on any other column counts the rows themselves.
 */
export interface VolumeSpec {
  /** The volume table, e.g. `communication_log_volume`. */
  readonly table: string;
  /** The log table's columns counted apart, beside the tenant and the hour. */
  readonly dimensions: readonly string[];
}

/**
 * Which columns of a kind hold personal data and whose data it is. Those columns are stored sealed
 * (encrypted under a key of the record's data subject), so that destroying the subject's key erases
 * them without changing the record's leaf in the integrity log.
 */
export interface SealingSpec {
  /**
   * Personal columns that never change after insert: sealed together into one envelope kept in the
   * row's `sealed` column; their own columns then hold ''.
   */
  readonly sealed: readonly string[];
  /**
   * Personal columns that later writes change (a delivery-status transition sets a communication
   * log's `error`): each holds its own envelope in place, or null.
   */
  readonly separate?: readonly string[] | undefined;
  /** The column naming the data subject; '' (no subject) seals under the tenant's own key. */
  readonly subject: string;
  /**
   * A plaintext copy of one sealed column kept for substring search (`key_words`): derived, not
   * part of the record's leaf, cleared when the subject is erased.
   */
  readonly searchCopy?: { readonly column: string; readonly of: string } | undefined;
}

/**
 * How long a kind's records are kept unless the RETENTION setting or a tenant's override says
 * otherwise (src/retention/), and which of its personal fields may be kept for less.
 */
export interface RetentionSpec {
  /** The kind's default period: `<n>d`, `<n>h` or `forever` (see src/retention/retention-period.ts). */
  readonly defaultPeriod: string;
  /**
   * Columns that may have a shorter period of their own (a message body holding a verification
   * code), policy key `<kind>s.<column>`; without a period of its own a field follows its record.
   */
  readonly fields?: readonly string[] | undefined;
}

/**
 * The one description of a log kind's table that every store and every common capability (tally,
 * copy, export, migrations' DDL, ingest) reads: what sealog keeps for each record of the kind.
 * Lists walk it newest first by (timeColumn, id), the keyset both paging styles rely on. Build one
 * with logTable(), which checks the column names against `Row`.
 */
export interface LogTable<Row extends LogRow = LogRow> {
  /** The kind's name in URLs and messages, e.g. `communication-log`. */
  readonly kind: string;
  /** The table, e.g. `communication_logs`. */
  readonly table: string;
  /** Columns in insert order with their types; tenant_id and id come first. */
  readonly columns: ReadonlyArray<readonly [string, ColumnType]>;
  /** The epoch-ms column a list is ordered by (and PostgreSQL partitions by). */
  readonly timeColumn: string;
  /**
   * PostgreSQL's table of (tenant_id, id, time) claims: the uniqueness partitions cannot enforce.
   * Named after the table without its final s: `operate_logs` → `operate_log_keys`.
   */
  readonly keysTable: string;
  /** Prefix of the ids sealog generates for the kind, e.g. `log_`. */
  readonly idPrefix: string;
  readonly tally?: TallySpec<Row> | undefined;
  /** Rows per tenant and UTC hour (and the dimensions'), for histograms; see VolumeSpec. */
  readonly volume?: VolumeSpec | undefined;
  /**
   * Tables whose rows belong to this kind's rows (a communication log's status history): copied
   * with them, tallied right after the kind's own table.
   */
  readonly dependentTables?: readonly string[] | undefined;
  /** The column of each dependent table naming its record's id (beside tenant_id), e.g. `log_id`. */
  readonly dependentKey?: string | undefined;
  /** The kind's personal columns and its data subject. */
  readonly sealing: SealingSpec;
  /** The kind's default retention and the fields that may be kept for less. */
  readonly retention: RetentionSpec;
}

/** A LogTable whose column names are checked against the row type. */
export function logTable<Row extends LogRow>(
  spec: LogTable<Row> & {
    columns: ReadonlyArray<readonly [keyof Row & string, ColumnType]>;
    timeColumn: keyof Row & string;
    sealing: SealingSpec & {
      sealed: ReadonlyArray<keyof Row & string>;
      separate?: ReadonlyArray<keyof Row & string>;
      subject: keyof Row & string;
    };
    retention: RetentionSpec & { fields?: ReadonlyArray<keyof Row & string> };
    volume?: VolumeSpec & { dimensions: ReadonlyArray<keyof Row & string> };
  },
): LogTable<Row> {
  return spec;
}

/** The ORDER BY of every list of `table`: newest first, ties broken by id descending. */
export function keysetOrder(table: LogTable): string {
  return `"${table.timeColumn}" DESC, id DESC`;
}

/** The column holding a row's envelope of sealed personal columns (see SealingSpec). */
export const SEALED_COLUMN = 'sealed';

/**
 * The columns a store keeps for `table`: the record's own columns, then the envelope and the
 * search copy when the kind has one. Reads and writes of stored rows use these; APIs see `columns`.
 */
export function storedColumns(table: LogTable): ReadonlyArray<readonly [string, ColumnType]> {
  const { searchCopy } = table.sealing;
  return [
    ...table.columns,
    [SEALED_COLUMN, 'text'],
    ...(searchCopy === undefined ? [] : [[searchCopy.column, 'text'] as const]),
  ];
}

/**
 * The stored columns a read of `table`'s rows needs: the record's own columns and the envelope.
 * Not the search copy, which only searches read (in their WHERE), never the APIs.
 */
export function readColumns(table: LogTable): ReadonlyArray<readonly [string, ColumnType]> {
  return [...table.columns, [SEALED_COLUMN, 'text']];
}

/** A row's values in the order of its table's columns, for positional binding. */
export function columnValues(table: LogTable, row: LogRow): unknown[] {
  const record = row as unknown as Record<string, unknown>;
  return table.columns.map(([column]) => record[column]);
}

/**
 * The UTC hour of epoch-ms `column` as a SQL expression (floored division, right before 1970
 * too): the `hour` key of volume tables. `prefix` qualifies the column (`old.` in a trigger).
 */
export function hourSql(column: string, prefix = ''): string {
  const time = `${prefix}"${column}"`;
  return `(${time} - ((${time} % ${HOUR_MS}) + ${HOUR_MS}) % ${HOUR_MS}) / ${HOUR_MS}`;
}

/** The key columns of `table`'s volume table: tenant_id, hour, then the dimensions. */
export function volumeColumns(volume: VolumeSpec): string[] {
  return ['tenant_id', 'hour', ...volume.dimensions];
}

/** `table`'s volume as a tally (key columns tenant_id, hour, dimensions…); undefined without one. */
export function volumeTally<Row extends LogRow>(table: LogTable<Row>): TallySpec<Row> | undefined {
  const { volume } = table;
  if (volume === undefined) return undefined;
  const time = table.timeColumn;
  return {
    table: volume.table,
    columns: volumeColumns(volume),
    key: (row) => {
      const record = row as unknown as Record<string, string | number>;
      return [
        row.tenant_id,
        Math.floor(Number(record[time]) / HOUR_MS),
        ...volume.dimensions.map((column) => record[column] as string | number),
      ];
    },
    sql: ['tenant_id', hourSql(time), ...volume.dimensions.map((column) => `"${column}"`)],
    reads: ['tenant_id', time, ...volume.dimensions],
  };
}

/**
 * Every table counting `table`'s rows, kept in the same transaction as the rows: its tally and
 * its volume. In this order wherever a write takes their rows' locks (PostgreSQL's triggers fire
 * in name order, `…_tallies_*` before `…_volume_*`), so that writers never deadlock on them.
 */
export function tallySpecs<Row extends LogRow>(table: LogTable<Row>): TallySpec<Row>[] {
  const volume = volumeTally(table);
  return [...(table.tally === undefined ? [] : [table.tally]), ...(volume === undefined ? [] : [volume])];
}
