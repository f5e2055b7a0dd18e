import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../../domain/errors.js';

/** The content types read as NDJSON; ingest routes document them beside application/json. */
export const NDJSON_CONTENT_TYPES = ['application/x-ndjson', 'application/ndjson'];

/**
 * Accepts `application/x-ndjson` bodies (one JSON record per line, blank lines ignored) as the
 * array of records they spell, so they are validated exactly like a JSON array.
 */
export function addNdjsonParser(app: FastifyInstance): void {
  app.addContentTypeParser(NDJSON_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const records: unknown[] = [];
    const lines = (body as string).split('\n');
    for (const [lineIndex, line] of lines.entries()) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        done(new InvalidInputError(`line ${lineIndex + 1} of the NDJSON body is not valid JSON`), undefined);
        return;
      }
    }
    done(null, records);
  });
}
