import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { HttpLimits, TuyaSettings } from './config.js';
import { ConsoleSessionService } from './domain/console-sessions.js';
import { TuyaSessionService } from './domain/tuya-sessions.js';
import { consoleSessionRoutes, consoleTenantRoutes } from './http/console/console-session-routes.js';
import { consoleStatic, defaultConsoleRoot } from './http/console/console-static.js';
import type { TokenVerifier } from './http/auth/token-verifier.js';
import { requireBearerToken } from './http/plugins/authentication.js';
import { clientConnectionOptions, limitConnections } from './http/plugins/client-connections.js';
import { installErrorHandler } from './http/plugins/error-replies.js';
import { addNdjsonParser } from './http/plugins/ndjson-parser.js';
import { installNotFoundHandler } from './http/plugins/not-found.js';
import { echoRequestId, requestIdOptions } from './http/plugins/request-id.js';
import { installMetrics, type MetricsOptions } from './http/plugins/metrics.js';
import { registerOpenApi } from './http/plugins/openapi.js';
import { installSchemaValidators } from './http/plugins/schema-validators.js';
import { healthRoutes } from './http/routes/health-routes.js';
import { histogramRoutes } from './http/routes/histogram-routes.js';
import { logQueryRoutes } from './http/routes/log-query-routes.js';
import { CONSOLE_TAG } from './http/schemas/log-query-schemas.js';
import { tuyaApi } from './http/tuya/tuya-token-routes.js';
import { LOG_KINDS } from './kinds/log-kinds.js';
import { packageVersion } from './version.js';
import type { AuditStore } from './domain/audit-store.js';
import type { IntegrityService } from './integrity/integrity-service.js';
import { INTEGRITY_TAG, integrityRoutes } from './integrity/integrity-routes.js';
import { erasureRoutes, PRIVACY_TAG } from './privacy/erasure-routes.js';
import { ErasureService } from './privacy/erasure-service.js';
import { RETENTION_TAG, retentionRoutes } from './retention/retention-routes.js';
import type { RetentionService } from './retention/retention-service.js';
import { purgeRoutes } from './retention/purge-routes.js';
import type { PurgeService } from './retention/purge-service.js';
import { STREAMS_TAG, streamRoutes } from './streams/stream-routes.js';
import type { StreamService } from './streams/stream-service.js';

export interface AppDependencies {
  store: AuditStore;
  /** Tuya projects and token settings; the Tuya API answers no one when `projects` is empty. */
  tuya: TuyaSettings;
  /** The clock, epoch ms; tests may skew it. */
  now?: () => number;
  verifyToken: TokenVerifier;
  /** What one client may hold: body size, time to send a request, idle time, connections. */
  limits: HttpLimits;
  /** Fastify's logger option: false, or pino options. */
  logger: FastifyServerOptions['logger'];
  /** The registry HTTP metrics go to, and who may read /metrics on this port (default: a registry of its own, no route). */
  metrics?: MetricsOptions;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For gives request.ip (default none). */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** The integrity log's API: checkpoints, proofs, leaves. */
  integrity: IntegrityService;
  /** Tenants' retention settings: GET and PUT /v1/retention/{tenant_id}. */
  retention: RetentionService;
  /** Retention purges: GET /v1/retention/reports. */
  purge: PurgeService;
  /** Log streams: /v1/streams. */
  streams: StreamService;
  /** How long a console sign-in lasts, ms (CONSOLE_SESSION_TTL; default 8 h). */
  consoleSessionTtlMs?: number;
  /** The console's build output served at /console (default dist/console/ of the package). */
  consoleRoot?: string;
}

/** A console sign-in's lifetime unless configured: 8 hours, in ms. */
const DEFAULT_CONSOLE_SESSION_TTL_MS = 8 * 3_600_000;

/** The OpenAPI tag of the ingest routes every kind adds. */
const INGEST_TAG = { name: 'ingest', description: 'Writing logs: batches of records, delivery receipts' };

/** Secrets that must never reach the log, wherever they appear in a request. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["access_token"]',
  'req.headers.sign',
  // The console's session id.
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** The request as logged: Tuya's refresh call carries its refresh token in the path. */
function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.replace(/^(\/v1\.0\/token\/)[^/?]+/, '$1[redacted]'),
    remoteAddress: request.ip,
  };
}

/**
 * Builds the HTTP application: plugins, the error handler and every route, wired to `store`.
 * Starts nothing; the caller listens (server.ts) or injects requests.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const logger =
    deps.logger === false || deps.logger === undefined
      ? false
      : {
          ...(deps.logger === true ? {} : deps.logger),
          redact: REDACTED_PATHS,
          serializers: { req: requestForLog },
        };
  const app = Fastify({
    logger,
    trustProxy: deps.trustProxy ?? false,
    ...requestIdOptions(),
    ...clientConnectionOptions(deps.limits),
  }).withTypeProvider<TypeBoxTypeProvider>();

  limitConnections(app, deps.limits);
  echoRequestId(app);
  installMetrics(app, deps.metrics);
  installSchemaValidators(app);
  installErrorHandler(app);
  installNotFoundHandler(app);
  addNdjsonParser(app);
  // Parses Cookie for every route: the console's session cookie authenticates the bearer routes.
  // Awaited only now: awaiting a plugin builds the routes added so far (/metrics) with the error
  // handler of that moment, and theirs must be sealog's.
  await app.register(cookie);
  await registerOpenApi(app, packageVersion(), [
    ...LOG_KINDS.map((kind) => kind.tag),
    INGEST_TAG,
    CONSOLE_TAG,
    INTEGRITY_TAG,
    PRIVACY_TAG,
    RETENTION_TAG,
    STREAMS_TAG,
  ]);

  const now = deps.now ?? Date.now;
  const kinds = LOG_KINDS.map((kind) => kind.routes({ store: deps.store, now }));
  const consoleSessions = new ConsoleSessionService(
    deps.store.consoleSessions,
    { sessionTtlMs: deps.consoleSessionTtlMs ?? DEFAULT_CONSOLE_SESSION_TTL_MS },
    now,
  );
  await app.register(healthRoutes, { store: deps.store });
  await app.register(consoleSessionRoutes, { sessions: consoleSessions, verifyToken: deps.verifyToken, now });
  await app.register(consoleStatic, { root: deps.consoleRoot ?? defaultConsoleRoot() });
  await app.register(async (api) => {
    requireBearerToken(
      api,
      deps.verifyToken,
      async (sessionId) => (await consoleSessions.find(sessionId))?.principal,
    );
    for (const { hooks } of kinds) hooks?.(api, 'authms');
    for (const { bearer } of kinds) if (bearer) await api.register(bearer);
    await api.register(logQueryRoutes, { store: deps.store, kinds: LOG_KINDS, now });
    await api.register(histogramRoutes, { store: deps.store, kinds: LOG_KINDS, now });
    await api.register(integrityRoutes, { service: deps.integrity });
    await api.register(erasureRoutes, { service: new ErasureService(deps.store, now) });
    await api.register(purgeRoutes, { service: deps.purge });
    await api.register(retentionRoutes, { service: deps.retention });
    await api.register(streamRoutes, { service: deps.streams });
    await api.register(consoleTenantRoutes, { logs: deps.store.integrity });
  });
  await app.register(tuyaApi, {
    projects: new Map(deps.tuya.projects.map((project) => [project.clientId, project])),
    sessions: new TuyaSessionService(deps.store, deps.tuya, now),
    signWindowSeconds: deps.tuya.signWindowSeconds,
    now,
    hooks: (tuya) => {
      for (const { hooks } of kinds) hooks?.(tuya, 'tuya');
    },
    business: kinds.flatMap(({ tuya }) => tuya ?? []),
  });
  return app;
}
