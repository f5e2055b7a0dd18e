import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/plugins/authentication.js';
import { envelope } from '../http/presenters.js';
import { formatPeriod } from './retention-period.js';
import type { RetentionPolicy } from './retention-policy.js';
import { RetentionChangesBody, RetentionResponses, TenantParams } from './retention-schemas.js';
import type { RetentionService } from './retention-service.js';

/** The OpenAPI tag of these routes. */
export const RETENTION_TAG = {
  name: 'retention',
  description:
    'How long logs are kept, per kind and per tenant: the kinds’ defaults, the RETENTION setting, and ' +
    'overrides the platform admin sets per tenant; message bodies may be kept for less than their record',
};

const common = { tags: [RETENTION_TAG.name], security: [{ bearerAuth: [] }] };

/** The answer of both routes: every key's period and source. */
function present(tenantId: string, policy: RetentionPolicy) {
  return envelope({
    tenant_id: tenantId,
    policy: Object.fromEntries(
      policy.entries().map(([key, { period, source }]) => [key, { period: formatPeriod(period), source }]),
    ),
  });
}

/** GET and PUT /v1/retention/{tenant_id}. */
export const retentionRoutes: FastifyPluginAsyncTypebox<{ service: RetentionService }> = (
  app,
  { service },
) => {
  app.get(
    '/v1/retention/:tenant_id',
    {
      schema: {
        ...common,
        operationId: 'getRetention',
        summary: 'Admin: how long a tenant’s logs are kept',
        description:
          'The retention of every kind and of each field that may be kept for less, with where each period ' +
          'comes from. For the platform admin and the admins of that tenant.',
        params: TenantParams,
        response: RetentionResponses,
      },
    },
    async (request) => {
      const { tenant_id: tenantId } = request.params;
      return present(tenantId, await service.read(principalOf(request), tenantId));
    },
  );

  app.put(
    '/v1/retention/:tenant_id',
    {
      config: { audited: true },
      schema: {
        ...common,
        operationId: 'putRetention',
        summary: 'Platform admin: change how long a tenant’s logs are kept',
        description:
          'Sets (or, with null, removes) the tenant’s own period of each key given; keys left out keep theirs. ' +
          'A field may not be kept longer than its record. The request is checked whole: when refused (400), ' +
          'nothing changes. Answers the resulting policy. Platform admins only (no tenant_id claim).',
        params: TenantParams,
        body: RetentionChangesBody,
        response: RetentionResponses,
      },
    },
    async (request) => {
      const { tenant_id: tenantId } = request.params;
      const body = request.body as Record<string, string | null>;
      return present(tenantId, await service.update(principalOf(request), tenantId, body));
    },
  );
  return Promise.resolve();
};
