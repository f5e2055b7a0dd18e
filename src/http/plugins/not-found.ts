import type { FastifyInstance } from 'fastify';
import { authmsErrorBody } from '../errors/authms-error.js';
import { TUYA_ERRORS, tuyaErrorBody } from '../errors/tuya-errors.js';

/**
 * 404 for unknown paths and 405 (with an Allow header) for known paths asked with another method.
 * Fastify itself answers 404 for both, so the known routes are collected as they are added.
 */
export function installNotFoundHandler(app: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}/?$`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const existing = routes.find((known) => known.pattern.source === pattern.source);
    if (existing) methods.forEach((method) => existing.methods.add(method));
    else routes.push({ pattern, methods: new Set(methods) });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith('/v1.0/')) {
      // Tuya's clients read errors from a 200 body, whatever went wrong.
      const { code, msg } = TUYA_ERRORS.uriPathInvalid;
      return reply.status(200).send(tuyaErrorBody(code, `${msg}: ${request.method} ${path}`));
    }
    const allowed = new Set(
      routes.filter((route) => route.pattern.test(path)).flatMap((route) => [...route.methods]),
    );
    // A route of this method that found nothing (a missing static file) is a 404, not a 405.
    if (allowed.size > 0 && !allowed.has(request.method)) {
      return reply
        .status(405)
        .header('allow', [...allowed].join(', '))
        .send(
          authmsErrorBody({
            statusCode: 405,
            message: `method ${request.method} is not allowed on ${path}; use ${[...allowed].join(', ')}`,
          }),
        );
    }
    return reply.status(404).send(
      authmsErrorBody({
        statusCode: 404,
        message: `no route ${request.method} ${path}; see /openapi.json`,
      }),
    );
  });
}
