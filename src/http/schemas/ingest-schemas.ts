import { Type, type TSchema } from 'typebox';
import { SimpleResponse } from './authms-envelope.js';
import { IDENTIFIER_PATTERN } from './patterns.js';

/** Most records one request may carry; the body limit (BODY_LIMIT) applies as well. */
export const MAX_BATCH_RECORDS = 10_000;

/** Longest short field (names, codes) and longest text field (contents, provider answers), in UTF-16 units. */
export const SHORT = 256;
export const LONG = 65_536;

/** An identifier: 1 to 128 visible ASCII characters. */
export const Identifier = (description: string) =>
  Type.String({
    pattern: IDENTIFIER_PATTERN,
    description: `${description}: 1 to 128 visible ASCII characters`,
  });
/** An optional short field, up to SHORT characters. */
export const Short = (description?: string) =>
  Type.String({ maxLength: SHORT, ...(description ? { description } : {}) });
/** A required short field: 1 to SHORT characters. */
export const Required = (description?: string) =>
  Type.String({ minLength: 1, maxLength: SHORT, ...(description ? { description } : {}) });
/** A text field, up to LONG characters. */
export const Text = () => Type.String({ maxLength: LONG });
/** An RFC 3339 time. */
export const Time = (description: string) =>
  Type.String({ format: 'date-time', description: `RFC 3339; ${description}` });

/** The id and tenant every ingested record may carry. */
export const identity = {
  id: Type.Optional(Identifier('kept when given (re-sending it stores nothing twice), generated otherwise')),
  tenant_id: Type.Optional(Identifier('required when the token has no tenant_id; must match it otherwise')),
};

/** A batch: a JSON array (or NDJSON lines) of 1..MAX_BATCH_RECORDS records. */
export function Batch<Record extends TSchema>(record: Record) {
  return Type.Array(record, { minItems: 1, maxItems: MAX_BATCH_RECORDS });
}

export const IngestResponses = {
  200: Type.Object({
    code: Type.Integer(),
    message: Type.String(),
    ids: Type.Array(Type.String(), { description: 'the id of every record, in the order sent' }),
    inserted: Type.Integer({ description: 'records stored by this request' }),
    duplicates: Type.Array(Type.String(), { description: 'ids that were stored already and were skipped' }),
    timestamp: Type.String(),
  }),
  400: SimpleResponse,
  401: SimpleResponse,
  403: SimpleResponse,
  413: SimpleResponse,
  415: SimpleResponse,
  500: SimpleResponse,
  // The store, or the token's signing keys (JWKS), do not answer; errorReply sends Retry-After.
  503: SimpleResponse,
};
