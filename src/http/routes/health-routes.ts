import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditStore } from '../../domain/audit-store.js';

const HealthResponse = Type.Object({ status: Type.String() });

/** No credentials: probes (load balancers, orchestrators) carry none. */
const PUBLIC: [] = [];

/** Liveness (`/healthz`: the process runs) and readiness (`/readyz`: the store answers). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: AuditStore }> = (app, { store }) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'checkLiveness',
        summary: 'Liveness: 200 while the process runs',
        tags: ['health'],
        security: PUBLIC,
        response: { 200: HealthResponse },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'checkReadiness',
        summary: 'Readiness: 200 while the store answers, 503 otherwise',
        tags: ['health'],
        security: PUBLIC,
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (request, reply) => {
      try {
        await store.ping();
        return { status: 'ok' };
      } catch (error) {
        request.log.warn({ err: error }, 'store does not answer');
        return reply.status(503).send({ status: 'store unavailable' });
      }
    },
  );
  return Promise.resolve();
};
