import type { FastifyError } from 'fastify';
import { DomainError, type DomainErrorKind } from '../../domain/errors.js';
import { describeViolation, type SchemaViolation } from './validation-messages.js';

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** Seconds a client is told to wait (Retry-After) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** An error as the client will see it: the HTTP status and a message that says what to do. */
export interface ClientFacingError {
  statusCode: number;
  message: string;
}

/**
 * Turns any thrown error into a status and message. Domain errors map by kind; Fastify's own
 * client errors (bad JSON, body too large, wrong content type, bad URL) keep their 4xx; schema
 * violations are described in words; anything else is a 500 whose details stay in the server log.
 */
export function classifyError(error: FastifyError | Error): ClientFacingError {
  if (error instanceof DomainError) return { statusCode: STATUS_BY_KIND[error.kind], message: error.message };
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) {
    const [first] = fastifyError.validation as unknown as SchemaViolation[];
    const context = fastifyError.validationContext ?? 'request';
    return { statusCode: 400, message: describeViolation(context, first as SchemaViolation) };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return { statusCode: status, message: clientMessage(fastifyError) };
  return { statusCode: 500, message: 'internal error; the server log has the details' };
}

/** Fastify's messages name its internals; these say what the client should change. */
const MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE:
    'request body is larger than the configured limit (BODY_LIMIT); send smaller batches',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content-type: send application/json or application/x-ndjson',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the body is not as long as its Content-Length header says',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty: send a JSON document, or no content-type',
  FST_ERR_CTP_INVALID_TYPE: 'the content-type header must be a string',
  FST_ERR_CTP_EMPTY_TYPE: 'the content-type header is empty',
  FST_ERR_BAD_URL:
    'the URL path has a malformed percent-escape; encode the path as UTF-8 and percent-encode it',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than any id sealog accepts',
};

function clientMessage(error: FastifyError): string {
  return MESSAGES[error.code] ?? error.message;
}
