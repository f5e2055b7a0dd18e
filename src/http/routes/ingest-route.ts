import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from 'typebox';
import type { InsertOutcome } from '../../domain/audit-store.js';
import type { Principal } from '../../domain/principal.js';
import { principalOf } from '../plugins/authentication.js';
import { NDJSON_CONTENT_TYPES } from '../plugins/ndjson-parser.js';
import { envelope } from '../presenters.js';
import { Batch, IngestResponses } from '../schemas/ingest-schemas.js';

/** What one kind's ingest endpoint needs: where, its record schema, and what stores a batch. */
export interface IngestRouteOptions<Record extends TSchema> {
  /** e.g. `/v1/ingest/communication-logs`. */
  path: string;
  /** The OpenAPI operationId, e.g. `ingestCommunicationLogs`. */
  operationId: string;
  summary: string;
  /** Said after the common description (all-or-nothing, body formats, role). */
  note?: string;
  record: Record;
  ingest: (principal: Principal, records: Static<Record>[]) => Promise<InsertOutcome>;
}

/** What an ingest body may be sent as; the NDJSON types are read by ndjson-parser.ts. */
const BATCH_CONTENT_TYPES = ['application/json', ...NDJSON_CONTENT_TYPES];

const DESCRIPTION =
  'Body: a JSON array of records, or NDJSON (content-type application/x-ndjson). All-or-nothing: one invalid ' +
  'record rejects the batch with 400 naming its index and field. Requires the audit:write role.';

/** POST `path`: a batch of one kind's records, acknowledged once durable, in the AuthMS envelope. */
export function ingestRoute<Record extends TSchema>(
  options: IngestRouteOptions<Record>,
): FastifyPluginAsyncTypebox {
  return (app) => {
    app.post(
      options.path,
      {
        schema: {
          operationId: options.operationId,
          summary: options.summary,
          description: options.note === undefined ? DESCRIPTION : `${DESCRIPTION} ${options.note}`,
          tags: ['ingest'],
          security: [{ bearerAuth: [] }],
          consumes: BATCH_CONTENT_TYPES,
          body: Batch(options.record),
          response: IngestResponses,
        },
      },
      async (request) => acknowledge(await options.ingest(principalOf(request), request.body)),
    );
    return Promise.resolve();
  };
}

/** The acknowledgement of a stored batch: every id in the order sent, and which were stored already. */
function acknowledge(outcome: InsertOutcome) {
  const { ids, duplicates } = outcome;
  return envelope({
    message:
      duplicates.length === 0 ? 'ok' : `${duplicates.length} of ${ids.length} records were stored already`,
    ids,
    inserted: ids.length - duplicates.length,
    duplicates,
  });
}
