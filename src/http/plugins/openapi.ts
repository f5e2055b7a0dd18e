import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { TUYA_SECURITY_SCHEMES } from '../tuya/tuya-schemas.js';

/**
 * OpenAPI 3 generated from the route schemas (the same ones that validate and serialize),
 * served at /openapi.json, with interactive docs at /docs; `tags` in the order the docs show them.
 * Must be registered before the routes.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  version: string,
  tags: readonly { name: string; description: string }[],
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sealog',
        version,
        description:
          'Audit-log service serving the AuthMS communication and MFA audit-log APIs and the Tuya operate-log API.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      // Relative: the document describes whichever server serves it, wherever it is deployed.
      servers: [{ url: '/', description: 'this server' }],
      tags: [...tags],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          ...TUYA_SECURITY_SCHEMES,
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
