import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { formatRfc3339 } from '../domain/time.js';
import { principalOf } from '../http/plugins/authentication.js';
import { envelope } from '../http/presenters.js';
import { definitionInput } from './stream-definition.js';
import {
  DeletedResponses,
  RewindBody,
  StreamBody,
  StreamListResponses,
  StreamParams,
  StreamQuery,
  StreamResponses,
} from './stream-schemas.js';
import type { StreamService, StreamView } from './stream-service.js';

/** The OpenAPI tag of these routes. */
export const STREAMS_TAG = {
  name: 'streams',
  description:
    'Log streams: every record delivered at least once, in leaf order per (tenant, kind), to a webhook, syslog, ' +
    'NATS JetStream or Splunk HEC; with their health (README, Streams)',
};

const common = { tags: [STREAMS_TAG.name], security: [{ bearerAuth: [] }] };
const time = (ms: number | null) => (ms === null ? null : formatRfc3339(ms));

/** A stream as the API answers it. */
function present(view: StreamView) {
  const { stored } = view;
  return {
    name: view.key.name,
    tenant_id: view.key.owner === '' ? null : view.key.owner,
    ...definitionInput(view.definition),
    state: view.state,
    paused_reason: stored.pausedReason,
    paused_at: time(stored.pausedAt),
    lag: view.lag,
    last_success_at: time(stored.lastSuccessAt),
    last_error:
      stored.lastError === null || stored.lastErrorAt === null
        ? null
        : { at: formatRfc3339(stored.lastErrorAt), message: stored.lastError },
    events_delivered: stored.eventsDelivered,
    bytes_delivered: stored.bytesDelivered,
    created_at: formatRfc3339(stored.createdAt),
    updated_at: formatRfc3339(stored.updatedAt),
  };
}

/** GET /v1/streams, and GET, PUT, DELETE /v1/streams/{name} with pause, resume and rewind. */
export const streamRoutes: FastifyPluginAsyncTypebox<{ service: StreamService }> = (app, { service }) => {
  app.get(
    '/v1/streams',
    {
      schema: {
        ...common,
        operationId: 'listStreams',
        summary: 'Admin: the streams and their health',
        description:
          'Each stream with its state (active, retrying, paused and why), lag (events and seconds behind), last ' +
          'success, last error, and events and bytes delivered. Tenant admins see their tenant’s; platform admins ' +
          'every stream, or one tenant’s with tenant_id.',
        querystring: StreamQuery,
        response: StreamListResponses,
      },
    },
    async (request) => {
      const views = await service.list(principalOf(request), request.query.tenant_id);
      return envelope({ streams: views.map(present) });
    },
  );

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post(
      `/v1/streams/:name/${action}`,
      {
        config: { audited: true },
        schema: {
          ...common,
          operationId: `${action}Stream`,
          summary: paused ? 'Admin: pause a stream' : 'Admin: resume a paused stream',
          description: paused
            ? 'Stops delivering; positions stay where they are.'
            : 'Delivers again from where it stopped, its failures forgotten (after fixing what paused it).',
          params: StreamParams,
          querystring: StreamQuery,
          response: StreamResponses,
        },
      },
      async (request) =>
        envelope({
          stream: present(
            await service.setPaused(
              principalOf(request),
              request.params.name,
              request.query.tenant_id,
              paused,
            ),
          ),
        }),
    );
  }

  app.post(
    '/v1/streams/:name/rewind',
    {
      config: { audited: true },
      schema: {
        ...common,
        operationId: 'rewindStream',
        summary: 'Admin: rewind a paused or new stream',
        description:
          'Sets where delivery resumes in each log the stream carries (or those of kind, of tenant_id): a leaf ' +
          'index, or the first record at or after a time within retention. Only a paused stream, or one that has ' +
          'delivered nothing yet (409 otherwise). Events delivered again carry the same ids.',
        params: StreamParams,
        querystring: StreamQuery,
        body: RewindBody,
        response: StreamResponses,
      },
    },
    async (request) => {
      const { leaf_index: leafIndex, from, kind, tenant_id: tenantId } = request.body;
      const view = await service.rewind(principalOf(request), request.params.name, request.query.tenant_id, {
        leafIndex,
        from,
        kind,
        tenantId,
      });
      return envelope({ stream: present(view) });
    },
  );
  app.get(
    '/v1/streams/:name',
    {
      schema: {
        ...common,
        operationId: 'getStream',
        summary: 'Admin: one stream and its health',
        params: StreamParams,
        querystring: StreamQuery,
        response: StreamResponses,
      },
    },
    async (request) =>
      envelope({
        stream: present(
          await service.get(principalOf(request), request.params.name, request.query.tenant_id),
        ),
      }),
  );

  app.put(
    '/v1/streams/:name',
    {
      config: { audited: true },
      schema: {
        ...common,
        operationId: 'putStream',
        summary: 'Admin: create or replace a stream',
        description:
          'A new stream delivers what is stored from now on (start: beginning for every leaf kept); a replaced one ' +
          'keeps its positions and counters, forgets its failures and runs again (paused: true keeps it paused). ' +
          'Answers 201 when created, 200 when replaced.',
        params: StreamParams,
        querystring: StreamQuery,
        body: StreamBody,
        response: StreamResponses,
      },
    },
    async (request, reply) => {
      const { paused, start, ...definition } = request.body;
      const { created, view } = await service.put(
        principalOf(request),
        request.params.name,
        request.query.tenant_id,
        definition,
        {
          ...(paused === undefined ? {} : { paused }),
          ...(start === undefined ? {} : { start: start as 'now' | 'beginning' }),
        },
      );
      const body = envelope({ stream: present(view) });
      if (!created) return body;
      return reply.code(201).send({ ...body, code: 201 });
    },
  );

  app.delete(
    '/v1/streams/:name',
    {
      config: { audited: true },
      schema: {
        ...common,
        operationId: 'deleteStream',
        summary: 'Admin: delete a stream',
        params: StreamParams,
        querystring: StreamQuery,
        response: DeletedResponses,
      },
    },
    async (request) => {
      await service.delete(principalOf(request), request.params.name, request.query.tenant_id);
      return envelope({});
    },
  );

  return Promise.resolve();
};
