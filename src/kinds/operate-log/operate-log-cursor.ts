import type { OperateLogCursor } from './operate-log-repository.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { OperateLog } from './operate-log-table.js';

/**
 * The opaque `last_row_key` of a row: base64url of `[record_time, id]`. Clients hand it back
 * unchanged; its content is not part of the API.
 */
export function encodeRowKey(row: Pick<OperateLog, 'record_time' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.record_time, row.id])).toString('base64url');
}

/** Decodes a `last_row_key`; anything this API did not produce is an InvalidInputError. */
export function decodeRowKey(key: string): OperateLogCursor {
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
    return { recordTime: decoded[0] as number, id: decoded[1] };
  }
  throw new InvalidInputError('last_row_key must be a last_row_key returned by this API');
}
