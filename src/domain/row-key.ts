import type { KeysetPosition } from './audit-store.js';
import { InvalidInputError } from './errors.js';

/**
 * The opaque `last_row_key` of a row in a newest-first walk: base64url of `[time, id]`. Clients
 * hand it back unchanged; its content is not part of any API.
 */
export function encodeRowKey(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.time, position.id])).toString('base64url');
}

/** Decodes a `last_row_key`; anything encodeRowKey did not produce is an InvalidInputError. */
export function decodeRowKey(key: string): KeysetPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(key, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    Array.isArray(decoded) &&
    decoded.length === 2 &&
    Number.isSafeInteger(decoded[0]) &&
    typeof decoded[1] === 'string'
  ) {
    return { time: decoded[0] as number, id: decoded[1] };
  }
  throw new InvalidInputError('last_row_key must be a last_row_key returned by this API');
}

/** One page of a newest-first walk, with what the next request needs. */
export interface CursorPage<Row> {
  rows: Row[];
  hasMore: boolean;
  /** Key of the last row of `rows`; absent on an empty page. */
  lastRowKey: string | undefined;
}

/**
 * The page of `size` rows out of `rows`, which the store was asked for `size + 1` of: the extra
 * row tells has_more without counting. `timeOf` reads a row's time column.
 */
export function cursorPage<Row extends { id: string }>(
  rows: Row[],
  size: number,
  timeOf: (row: Row) => number,
): CursorPage<Row> {
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return {
    rows: page,
    hasMore: rows.length > size,
    lastRowKey: last && encodeRowKey({ time: timeOf(last), id: last.id }),
  };
}
