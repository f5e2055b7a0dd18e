import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/plugins/authentication.js';
import { envelope } from '../http/presenters.js';
import { ERASURE_ROUTE, erasureSummary } from './erasure-record.js';
import type { ErasureService } from './erasure-service.js';
import { ErasureQuery, ErasureResponses, SubjectParams } from './erasure-schemas.js';

/** The OpenAPI tag of these routes. */
export const PRIVACY_TAG = {
  name: 'privacy',
  description:
    'Erasure of a data subject: its keys destroyed, its personal fields read [erased], every proof kept (README, Privacy)',
};

/** DELETE /v1/subjects/{subject_id}. */
export const erasureRoutes: FastifyPluginAsyncTypebox<{ service: ErasureService }> = (app, { service }) => {
  app.delete(
    ERASURE_ROUTE,
    {
      config: { audited: true },
      schema: {
        tags: [PRIVACY_TAG.name],
        security: [{ bearerAuth: [] }],
        operationId: 'eraseSubject',
        summary: 'Admin: erase a data subject',
        description:
          'Destroys the subject’s keys in the tenant: every personal field of its records (communication, MFA, ' +
          'operate and access logs) reads [erased] in every API from then on, key_words no longer finds them, and ' +
          'the records, their leaves and every proof stay valid. Idempotent. Recorded in the access log. Tenant ' +
          'admins erase in their tenant; platform admins name it with tenant_id. Backups taken before still hold ' +
          'the keys until they expire.',
        params: SubjectParams,
        querystring: ErasureQuery,
        response: ErasureResponses,
      },
    },
    async (request) =>
      envelope(
        erasureSummary(
          await service.erase(principalOf(request), request.params.subject_id, request.query.tenant_id),
        ),
      ),
  );
  return Promise.resolve();
};
