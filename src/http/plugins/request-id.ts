import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The header a request's id travels in, both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An id a client (or a load balancer) may choose: up to 128 visible characters of a safe set, so
 * that it never breaks a log line or a header. Anything else is replaced by a generated one.
 */
const CLIENT_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * Fastify's options for request ids: the client's `X-Request-Id` when it is a safe id, else a
 * random UUID. Fastify puts it in every log line of the request (`reqId`).
 */
export function requestIdOptions() {
  return {
    requestIdHeader: false as const,
    genReqId: (request: IncomingMessage): string => {
      const given = request.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    },
  };
}

/** Echoes each request's id in its answer's `X-Request-Id`, on every route and error alike. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}
