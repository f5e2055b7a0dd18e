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
 * comma, CR or LF quoted (quotes doubled). A text cell starting with = + - @, tab or CR (and their
 * full-width forms) is prefixed with ' so that no spreadsheet runs it as a formula (OWASP CSV
 * injection); numbers are written as they are, so a negative number stays a number. Nested values
 * (an access log's query) are JSON text, null an empty cell, booleans true/false. Written by hand:
 * csv-stringify cost about five times the rest of an export's encoding per row.
 */
export function csvEncoder(fields: readonly string[]): ExportEncoder {
  let header = true;
  return (items) => {
    let text = '';
    if (header) {
      text = csvRecord(fields);
      header = false;
    }
    for (const item of items) {
      let line = '';
      for (let i = 0; i < fields.length; i++) {
        if (i > 0) line += ',';
        line += csvCell(item[fields[i] as string]);
      }
      text += `${line}\r\n`;
    }
    return text;
  };
}

function csvRecord(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Characters that make a cell quoted. */
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell's text: cast, guarded against formulas, quoted when it must be. */
function csvCell(value: unknown): string {
  let text: string;
  switch (typeof value) {
    case 'string':
      text = value;
      break;
    case 'number':
    case 'bigint':
      // A number is never a formula, even a negative one.
      return String(value);
    case 'boolean':
      text = String(value);
      break;
    case 'object':
      if (value === null) return '';
      text = JSON.stringify(value);
      break;
    default:
      return '';
  }
  if (text === '') return '';
  if (FORMULA_STARTS.has(text.charCodeAt(0))) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** First characters a spreadsheet reads as a formula: = + - @ tab CR and full-width = + - @. */
const FORMULA_STARTS = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d, 0xff1d, 0xff0b, 0xff0d, 0xff20]);
