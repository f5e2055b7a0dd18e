import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { generateId } from '../../domain/ids.js';
import { isAdmin } from '../../domain/principal.js';
import { isStorableText } from '../../domain/storable-text.js';
import { principalOf } from '../../http/plugins/authentication.js';
import { envelope } from '../../http/presenters.js';
import type { ApiName, LogKindModule } from '../log-kind-module.js';
import { AccessLogQuerySchema, AccessLogResponses } from './access-log-schemas.js';
import { AccessLogService } from './access-log-service.js';
import { ACCESS_LOG_TABLE } from './access-log-table.js';
import { presentAccessLog } from './access-log-presenter.js';
import { ACCESS_LOG_CONSOLE } from './access-log-query-schemas.js';
import { AccessRecorder } from './access-recorder.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Record this route in the access log although it is no read: a change made through the API
     * (an erasure, a retention setting), with its path parameters, so the record says whom or
     * what it changed.
     */
    audited?: boolean;
  }
  interface FastifyRequest {
    /** Log rows the answer carries (set as it is serialized), for the access log. */
    readRows: number;
    /** The error message the request was answered with, for the access log; '' for none. */
    readError: string;
    /** The client's address as the answer is sent ('' if it hung up before), for the access log. */
    readIp: string;
  }
}

/** Words that mark a parameter as a secret, in its name lowercased without separators. */
const SECRET_WORDS = ['token', 'secret', 'password', 'passwd', 'signature', 'apikey', 'credential'];

/**
 * Whether a parameter's value must never be recorded: its name holds a secret word in any case
 * or spelling (access_token, refreshToken, x-api-key, userPassword), or ends in `sign`.
 */
function isSecretName(name: string): boolean {
  const word = name.toLowerCase().replace(/[^a-z]/g, '');
  return word.endsWith('sign') || SECRET_WORDS.some((secret) => word.includes(secret));
}

/** How validation messages echo a value: `(got "…")`, up to the last quote (the value may hold one). */
const ECHOED_VALUE = /\(got ".*"\)?/s;

/** GET /admin/access-logs. */
const accessLogRoutes: FastifyPluginAsyncTypebox<{ service: AccessLogService }> = (app, { service }) => {
  app.get(
    '/admin/access-logs',
    {
      schema: {
        operationId: 'listAccessLogs',
        summary: 'Admin: who read which logs',
        description:
          'Every authenticated read of the admin, user and Tuya APIs (this one included): who, tenant, route, ' +
          'query parameters, rows returned, status, time. Newest first; page with last_row_key. Tenant admins ' +
          'see their tenant’s reads; platform admins every tenant’s, or one with tenant_id. Records are ' +
          'written in batches, so a read shows here about a second after it was answered.',
        tags: ['access log'],
        security: [{ bearerAuth: [] }],
        querystring: AccessLogQuerySchema,
        response: AccessLogResponses,
      },
    },
    async (request) => {
      const page = await service.list(principalOf(request), request.query);
      return envelope({
        items: page.rows.map(presentAccessLog),
        has_more: page.hasMore,
        last_row_key: page.lastRowKey ?? '',
      });
    },
  );
  return Promise.resolve();
};

/**
 * The client's address, '' once it is unknown: Fastify types request.ip as a string, but it reads
 * the socket's remoteAddress, which Node leaves undefined after the client closed the connection.
 */
function clientIp(request: FastifyRequest): string {
  return request.socket.remoteAddress === undefined ? '' : request.ip;
}

/**
 * Records every GET and HEAD a verified caller makes on `app` (an authenticated API), and every
 * request to a route marked `audited`: the record is handed to `recorder` after the answer was
 * sent, so a read waits for nothing.
 */
function recordReads(app: FastifyInstance, api: ApiName, recorder: AccessRecorder, now: () => number): void {
  app.decorateRequest('readRows', 0);
  app.decorateRequest('readError', '');
  app.decorateRequest('readIp', '');
  app.addHook('preSerialization', (request, _reply, payload, done) => {
    request.readRows = rowsIn(payload);
    done(null, payload);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    request.readError = errorIn(request, reply.statusCode, payload);
    // Taken while the socket is still there: by onResponse a client that hung up (a load tester
    // ending its run) has none, and the record would have no address.
    request.readIp = clientIp(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const audited = request.routeOptions.config.audited === true;
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    const who = isRead || audited ? callerOf(request, api, reply.statusCode) : undefined;
    const route = request.routeOptions.url;
    if (who !== undefined && route !== undefined) {
      const accessedAt = now();
      recorder.record({
        actor: storable(who.actor),
        tenant_id: storable(who.tenant_id),
        id: generateId(ACCESS_LOG_TABLE.idPrefix, accessedAt),
        accessed_at: accessedAt,
        api,
        method: request.method,
        route,
        query: JSON.stringify({
          ...(audited ? pathParameters(request) : {}),
          ...declaredParameters(request),
        }),
        row_count: request.readRows,
        status: reply.statusCode,
        error: storable(request.readError),
        ip: request.readIp === '' ? clientIp(request) : request.readIp,
        duration_ms: Math.round(reply.elapsedTime),
      });
    }
    done();
  });
  app.addHook('onClose', async () => {
    await recorder.close();
  });
}

/**
 * The verified caller and the tenant its read was scoped to; undefined before verification. A
 * platform admin's read is scoped by the tenant it asked for, once that passed validation (an
 * answer under 400); anyone else without a tenant was refused and files nothing into a tenant.
 */
function callerOf(
  request: FastifyRequest,
  api: ApiName,
  status: number,
): { actor: string; tenant_id: string } | undefined {
  if (api === 'tuya') {
    const project = request.tuyaProject;
    return project && { actor: project.clientId, tenant_id: project.tenantId };
  }
  const principal = request.principal;
  if (principal === undefined) return undefined;
  const asked =
    isAdmin(principal) && status < 400
      ? (request.query as Record<string, unknown> | undefined)?.tenant_id
      : undefined;
  return {
    actor: principal.subject,
    tenant_id: principal.tenantId ?? (typeof asked === 'string' ? asked : ''),
  };
}

/**
 * Text both stores can hold: NUL and unpaired surrogates (an echo in an error message, an odd
 * token subject) replaced by U+FFFD, so that one record never makes its batch unstorable.
 */
const UNSTORABLE_CHARACTER = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storable(text: string): string {
  return isStorableText(text) ? text : text.replace(UNSTORABLE_CHARACTER, '\uFFFD');
}

/**
 * Rows of an AuthMS list (`items`), a /v1 page (`data.items`) or a Tuya page (`result.list`); 0
 * for anything else. (A streamed export counts its rows itself, as it writes them.)
 */
function rowsIn(payload: unknown): number {
  if (typeof payload !== 'object' || payload === null) return 0;
  const { items, result, data } = payload as { items?: unknown; result?: unknown; data?: unknown };
  if (Array.isArray(items)) return items.length;
  const dataItems =
    typeof data === 'object' && data !== null ? (data as { items?: unknown }).items : undefined;
  if (Array.isArray(dataItems)) return dataItems.length;
  const list =
    typeof result === 'object' && result !== null ? (result as { list?: unknown }).list : undefined;
  return Array.isArray(list) ? list.length : 0;
}

/**
 * The query parameters the route declares (an allow-list: anything else a client adds is not
 * kept), secrets never. JSON escapes NUL and lone surrogates, so the text is always storable.
 */
function declaredParameters(request: FastifyRequest): Record<string, unknown> {
  const query = request.query;
  const schema = request.routeOptions.schema?.querystring as { properties?: object } | undefined;
  if (typeof query !== 'object' || query === null || schema?.properties === undefined) return {};
  const declared = new Set(Object.keys(schema.properties));
  return Object.fromEntries(
    Object.entries(query).filter(([name]) => declared.has(name) && !isSecretName(name)),
  );
}

/** The path parameters of an audited change (whom or what it changed), secrets never. */
function pathParameters(request: FastifyRequest): Record<string, unknown> {
  const params = request.params;
  if (typeof params !== 'object' || params === null) return {};
  return Object.fromEntries(Object.entries(params).filter(([name]) => !isSecretName(name)));
}

/**
 * The error message the caller was answered with ('' for a success): AuthMS's `message` of a
 * 4xx/5xx, Tuya's `msg` of an envelope with `success: false`. Only error answers are parsed, and
 * where a path parameter is a secret (a refresh token) echoed values are left out.
 */
function errorIn(request: FastifyRequest, status: number, payload: unknown): string {
  if (typeof payload !== 'string' || !(status >= 400 || payload.startsWith('{"success":false'))) return '';
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return '';
  }
  const { message, msg } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = typeof message === 'string' ? message : typeof msg === 'string' ? msg : '';
  const params = Object.keys(request.params ?? {});
  return params.some(isSecretName) ? text.replace(ECHOED_VALUE, '(got [redacted])') : text;
}

/** The access log in the HTTP application: its admin route, and the hooks that record every read. */
export const accessLogKind: LogKindModule = {
  table: ACCESS_LOG_TABLE,
  console: ACCESS_LOG_CONSOLE,
  tag: {
    name: 'access log',
    description: 'Who read which logs: every authenticated read, recorded by sealog',
  },
  routes: ({ store, now }) => {
    let logger: FastifyBaseLogger | undefined;
    const recorder = new AccessRecorder(store.rows(ACCESS_LOG_TABLE), {
      onTrouble: (message) => logger?.warn(message),
    });
    return {
      hooks: (app, api) => {
        logger ??= app.log;
        recordReads(app, api, recorder, now);
      },
      bearer: (app) => accessLogRoutes(app, { service: new AccessLogService(store) }),
    };
  },
};
