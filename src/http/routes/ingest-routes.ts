import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CommunicationLogService } from '../../domain/communication-logs.js';
import type { MfaConfigAuditLogService } from '../../domain/mfa-config-audit-logs.js';
import type { OperateLogService } from '../../domain/operate-logs.js';
import type { InsertOutcome } from '../../domain/audit-store.js';
import { principalOf } from '../plugins/authentication.js';
import { envelope, presentCommunicationLog } from '../presenters.js';
import { CommunicationLogResponse, LogIdParams } from './communication-log-schemas.js';
import {
  Batch,
  CommunicationLogRecord,
  DeliveryReceiptBody,
  IngestResponses,
  MfaConfigAuditLogRecord,
  OperateLogRecord,
} from './ingest-schemas.js';
import { Type } from 'typebox';
import { authmsErrorResponses, SimpleResponse } from '../schemas/authms-envelope.js';

export interface IngestServices {
  communicationLogs: CommunicationLogService;
  mfaConfigAuditLogs: MfaConfigAuditLogService;
  operateLogs: OperateLogService;
}

const security = [{ bearerAuth: [] }];
const description =
  'Body: a JSON array of records, or NDJSON (content-type application/x-ndjson). All-or-nothing: one invalid ' +
  'record rejects the batch with 400 naming its index and field. Requires the audit:write role.';

/** The ingest API: one POST per log kind, and delivery receipts for communication logs. */
export const ingestRoutes: FastifyPluginAsyncTypebox<IngestServices> = (app, services) => {
  app.post(
    '/v1/ingest/communication-logs',
    {
      schema: {
        summary: 'Ingest communication logs',
        description,
        tags: ['ingest'],
        security,
        body: Batch(CommunicationLogRecord),
        response: IngestResponses,
      },
    },
    async (request) =>
      acknowledge(await services.communicationLogs.ingest(principalOf(request), request.body)),
  );

  app.post(
    '/v1/ingest/mfa-config-audit-logs',
    {
      schema: {
        summary: 'Ingest MFA configuration audit logs',
        description,
        tags: ['ingest'],
        security,
        body: Batch(MfaConfigAuditLogRecord),
        response: IngestResponses,
      },
    },
    async (request) =>
      acknowledge(await services.mfaConfigAuditLogs.ingest(principalOf(request), request.body)),
  );

  app.post(
    '/v1/ingest/operate-logs',
    {
      schema: {
        summary: 'Ingest operate logs (served by the Tuya-compatible API)',
        description: `${description} record_time is epoch milliseconds.`,
        tags: ['ingest'],
        security,
        body: Batch(OperateLogRecord),
        response: IngestResponses,
      },
    },
    async (request) => acknowledge(await services.operateLogs.ingest(principalOf(request), request.body)),
  );

  app.patch(
    '/v1/ingest/communication-logs/:id',
    {
      schema: {
        summary: 'Record a delivery receipt: move the status forward',
        description:
          'pending → sent → delivered | failed. The same status again changes nothing; a move backwards is 409. ' +
          'Every accepted move is kept in the log’s history.',
        tags: ['ingest'],
        security,
        params: LogIdParams,
        body: DeliveryReceiptBody,
        response: {
          200: Type.Object({
            code: Type.Integer(),
            message: Type.String(),
            data: CommunicationLogResponse,
            timestamp: Type.String(),
          }),
          ...authmsErrorResponses,
          404: SimpleResponse,
          409: SimpleResponse,
        },
      },
    },
    async (request) => {
      const log = await services.communicationLogs.applyReceipt(
        principalOf(request),
        request.params.id,
        request.body,
      );
      return envelope({ data: presentCommunicationLog(log) });
    },
  );
  return Promise.resolve();
};

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
