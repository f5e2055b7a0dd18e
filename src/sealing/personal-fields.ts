import type { LogTable } from '../kinds/log-table.js';

/**
 * A kind's personal columns as the row sealer uses them, read once from LogTable.sealing and
 * checked against the table's columns, so that a typo in a table description fails at first use
 * instead of leaving a personal column in clear.
 */

/** What each personal field of a record reads once its subject's keys are destroyed. */
export const ERASED = '[erased]';

/** What a personal field with a retention of its own reads once its period key is destroyed. */
export const EXPIRED = '[expired]';

/**
 * The subject a field's period keys are filed under in the tenant's subject keys: one key per
 * field and UTC day of the record's time, destroyed when the field's retention has passed that
 * day. U+0001 starts no subject id the APIs accept for erasure, and sorts the days in order.
 */
export function fieldKeySubject(field: string, day: string): string {
  return `${FIELD_KEY_MARK}${field}/${day}`;
}

/** The first character of every field-key subject (see fieldKeySubject). */
export const FIELD_KEY_MARK = '\u0001';

/** The UTC day of epoch ms `ms`, as YYYY-MM-DD (how field keys are named by day). */
export function utcDayOf(ms: number): string {
  // Clamped to the dates Date can hold (±8.64e15 ms), which a stored time may pass.
  return new Date(Math.min(Math.max(ms, -MAX_DATE_MS), MAX_DATE_MS)).toISOString().slice(0, 10);
}

const MAX_DATE_MS = 8.64e15;

/** The column holding a row's envelope of its immutable personal columns. */
export const SEALED_COLUMN = 'sealed';

/** One kind's sealing, checked. */
export interface PersonalFields {
  readonly kind: string;
  /** The table's own columns, in order (without SEALED_COLUMN or the search copy). */
  readonly columns: readonly string[];
  /** Sealed together into SEALED_COLUMN, in this order. */
  readonly sealed: readonly string[];
  /** Each sealed into its own column (null stays null). */
  readonly separate: readonly string[];
  /** The column naming the data subject. */
  readonly subject: string;
  /** The derived search column and the sealed column it copies (folded), if any. */
  readonly searchCopy: { readonly column: string; readonly of: string } | undefined;
  /**
   * Sealed columns with a retention of their own (LogTable.retention.fields): each value is sealed
   * again, inside the row's envelope, under a key of its field and day (fieldKeySubject).
   */
  readonly expiring: readonly string[];
  /** The epoch-ms column whose UTC day names an expiring field's key. */
  readonly timeColumn: string;
}

const checked = new WeakMap<LogTable, PersonalFields>();

/** `table`'s personal fields; throws Error when its sealing spec names columns it lacks. */
export function personalFields(table: LogTable): PersonalFields {
  const known = checked.get(table);
  if (known !== undefined) return known;
  const fields = check(table);
  checked.set(table, fields);
  return fields;
}

function check(table: LogTable): PersonalFields {
  const { sealed, separate = [], subject, searchCopy } = table.sealing;
  const types = new Map(table.columns);
  const problem = (text: string): Error => new Error(`${table.kind}: sealing ${text}`);
  const personal = [...sealed, ...separate];
  if (sealed.length === 0) throw problem('names no sealed column');
  for (const column of personal) {
    if (types.get(column) !== 'text') throw problem(`names ${column}, which is not a text column`);
  }
  if (new Set(personal).size !== personal.length) throw problem('names a column twice');
  if (types.get(subject) !== 'text' || personal.includes(subject)) {
    throw problem(`subject ${subject} must be a text column that is not sealed`);
  }
  if (types.has(SEALED_COLUMN)) throw problem(`needs the column name ${SEALED_COLUMN} for itself`);
  if (searchCopy !== undefined) {
    if (!sealed.includes(searchCopy.of))
      throw problem(`search copy of ${searchCopy.of}, which is not sealed`);
    if (types.has(searchCopy.column) || searchCopy.column === SEALED_COLUMN) {
      throw problem(`search copy column ${searchCopy.column} is already taken`);
    }
  }
  const expiring = table.retention.fields ?? [];
  for (const column of expiring) {
    if (!sealed.includes(column))
      throw problem(`gives ${column} a retention of its own, but it is not sealed`);
  }
  return {
    kind: table.kind,
    columns: table.columns.map(([column]) => column),
    sealed,
    separate,
    subject,
    searchCopy,
    expiring,
    timeColumn: table.timeColumn,
  };
}

/**
 * `text` with ASCII A–Z lower-cased and every other character kept: what a key_words search
 * compares against. SQLite's LIKE folds exactly these letters (and a search term folded the same
 * way matches with strpos on PostgreSQL), so both stores keep matching the same rows.
 */
export function foldAsciiCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : text;
}

/** The subject a row is sealed for; throws TypeError when the subject column holds no text. */
export function subjectOf(fields: PersonalFields, record: Record<string, unknown>): string {
  const subject = record[fields.subject];
  if (typeof subject !== 'string') {
    throw new TypeError(`${fields.kind}: ${fields.subject} must be text to seal a row for it`);
  }
  return subject;
}

/** Throws Error unless `column` is one of the kind's separately sealed columns. */
export function checkSeparate(fields: PersonalFields, column: string): void {
  if (!fields.separate.includes(column)) {
    throw new Error(`${fields.kind}: ${column} is not a separately sealed column`);
  }
}
