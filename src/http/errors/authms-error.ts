import { formatRfc3339 } from '../../domain/time.js';
import type { ClientFacingError } from './client-error.js';

/** AuthMS `dto.SimpleResponse` for an error: `code` equals the HTTP status. */
export function authmsErrorBody(error: ClientFacingError) {
  return { code: error.statusCode, message: error.message, timestamp: formatRfc3339(Date.now()) };
}
