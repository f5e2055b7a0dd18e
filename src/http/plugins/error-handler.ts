import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorKind } from '../../domain/errors.js';
import { formatRfc3339 } from '../../domain/time.js';
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
 * client errors (bad JSON, body too large, wrong content type) keep their 4xx; schema violations
 * are described in words; anything else is a 500 whose details stay in the server log.
 */
export function classifyError(error: FastifyError | Error): ClientFacingError {
  if (error instanceof DomainError) return { statusCode: STATUS_BY_KIND[error.kind], message: error.message };
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) {
    const [first] = fastifyError.validation as unknown as SchemaViolation[];
    const context = fastifyError.validationContext ?? 'request';
    return {
      statusCode: 400,
      message: describeViolation(context, first as SchemaViolation),
    };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return { statusCode: status, message: clientMessage(fastifyError) };
  return { statusCode: 500, message: 'internal error; the server log has the details' };
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is larger than the configured limit (BODY_LIMIT); send smaller batches';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content-type: send application/json or application/x-ndjson';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is empty: send a JSON array of records';
    default:
      return error.message;
  }
}

/** AuthMS `dto.SimpleResponse` for an error. */
export function authmsErrorBody(error: ClientFacingError) {
  return { code: error.statusCode, message: error.message, timestamp: formatRfc3339(Date.now()) };
}

/**
 * The one error handler of the server. 5xx are logged with their stack; 4xx are the client's and
 * logged at info without the request body, which may hold personal data.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const classified = classifyError(error);
    if (classified.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else
      request.log.info({ statusCode: classified.statusCode, reason: classified.message }, 'request refused');
    if (classified.statusCode === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
    return reply.status(classified.statusCode).send(authmsErrorBody(classified));
  });
}
