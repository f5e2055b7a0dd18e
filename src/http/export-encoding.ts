import { stringify, type Options } from 'csv-stringify/sync';
import type { TObject } from 'typebox';

/** The field names of an item schema, in its property order: the order items and CSV columns follow. */
export function itemFields(item: TObject): string[] {
  return Object.keys(item.properties);
}

/**
 * `presented` with exactly `fields`, in that order: what the item's response schema would
 * serialize (a field the schema lacks is left out), so exports equal GET /v1/logs' items.
 */
export function orderedItem(
  fields: readonly string[],
  presented: Record<string, unknown>,
): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const field of fields) item[field] = presented[field];
  return item;
}

/** Turns batches of items into the text of an export, in order; the first call writes any header. */
export type ExportEncoder = (items: readonly Record<string, unknown>[]) => string;

/** NDJSON: one JSON item per line, each line ending in LF (JSON text holds no raw newline). */
export function ndjsonEncoder(): ExportEncoder {
  return (items) => {
    let text = '';
    for (const item of items) text += `${JSON.stringify(item)}\n`;
    return text;
  };
}

/**
 * CSV per RFC 4180: a header row of `fields`, CRLF after every record, fields holding a quote,
 * comma, CR or LF quoted. A text cell starting with = + - @, tab or CR (and their full-width
 * forms) is prefixed with ' so that no spreadsheet runs it as a formula (OWASP CSV injection);
 * numbers are written as they are. Nested values (an access log's query) are JSON text, null an
 * empty cell, booleans true/false.
 */
export function csvEncoder(fields: readonly string[]): ExportEncoder {
  const options: Options = {
    columns: [...fields],
    record_delimiter: 'windows',
    escape_formulas: true,
    // csv-stringify quotes a field holding the record delimiter (CRLF) only; RFC 4180 wants any line break quoted.
    quoted_match: /[\r\n]/,
    cast: { boolean: (value) => String(value), object: (value) => JSON.stringify(value) },
  };
  let header = true;
  return (items) => {
    const text = stringify(items as Record<string, unknown>[], { ...options, header });
    header = false;
    return text;
  };
}
