import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { AuthenticationError, UnavailableError } from '../../domain/errors.js';

/** The metrics of every process as Prometheus text: this process's, or the whole cluster's. */
export type MetricsSource = () => Promise<{ text: string; contentType: string }>;

export interface MetricsOptions {
  registry: Registry;
  /**
   * Serves GET /metrics on the API's port to callers presenting this bearer token (METRICS_TOKEN);
   * without one the route does not exist (METRICS_PORT may serve it instead).
   */
  token: string | undefined;
  source: MetricsSource;
}

/** Seconds: from 1 ms (a cached page) to 10 s (a batch waiting for a slow disk). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Why an ingest batch was refused, by the status it got: a handful of label values. */
const REJECTION_REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  408: 'timeout',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

/**
 * HTTP metrics of this process: requests and their duration by method, route template (never the
 * URL, whose ids would make a series per record) and status; ingested bytes and refused batches per
 * kind; store errors by reason. With a token configured, GET /metrics answers from `source`.
 */
export function installMetrics(app: FastifyInstance, options: MetricsOptions | undefined): void {
  // Without options (an app built for `sealog openapi`): counted in a registry nobody reads.
  const registers = [options?.registry ?? new Registry()];
  const requests = new Counter({
    name: 'sealog_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers,
  });
  const durations = new Histogram({
    name: 'sealog_http_request_duration_seconds',
    help: 'Time from a request’s arrival to its answer, in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const ingestedBytes = new Counter({
    name: 'sealog_ingested_bytes_total',
    help: 'Bytes of ingest request bodies accepted (their Content-Length), by kind (table)',
    labelNames: ['kind'],
    registers,
  });
  const rejected = new Counter({
    name: 'sealog_ingest_rejected_batches_total',
    help: 'Ingest batches refused (nothing of them stored), by kind (table) and reason',
    labelNames: ['kind', 'reason'],
    registers,
  });
  const storeErrors = new Counter({
    name: 'sealog_store_errors_total',
    help: 'Requests failed by the store, by reason (unreachable, timeout, failed)',
    labelNames: ['reason'],
    registers,
  });

  app.addHook('onError', (_request, _reply, error, done) => {
    if (error instanceof UnavailableError) storeErrors.inc({ reason: error.reason });
    else if (isStoreFailure(error)) storeErrors.inc({ reason: 'failed' });
    done();
  });
  // Each (method, route, status) series once: prom-client hashes a label set on every call, which
  // was a measurable share of a cheap read.
  const series = new Map<string, { requests: Counter.Internal; durations: Histogram.Internal<string> }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let counted = series.get(key);
    if (counted === undefined) {
      const labels = { method: request.method, route, status_code: reply.statusCode };
      counted = { requests: requests.labels(labels), durations: durations.labels(labels) };
      series.set(key, counted);
    }
    counted.requests.inc();
    counted.durations.observe(reply.elapsedTime / 1000);
    const kind = request.method === 'POST' ? ingestKind(route) : undefined;
    if (kind !== undefined) {
      if (reply.statusCode < 300)
        ingestedBytes.inc({ kind }, Number(request.headers['content-length'] ?? 0) || 0);
      else rejected.inc({ kind, reason: REJECTION_REASONS[reply.statusCode] ?? 'error' });
    }
    done();
  });

  if (options?.token === undefined) return;
  const { token, source } = options;
  const expected = Buffer.from(`Bearer ${token}`);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const presented = Buffer.from(request.headers.authorization ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new AuthenticationError('send Authorization: Bearer <METRICS_TOKEN> to read /metrics');
    }
    const { text, contentType } = await source();
    return reply.type(contentType).send(text);
  });
}

/** `communication_logs` for POST /v1/ingest/communication-logs; undefined for any other route. */
function ingestKind(route: string): string | undefined {
  const match = /^\/v1\/ingest\/([a-z-]+)$/.exec(route);
  return match?.[1]?.replaceAll('-', '_');
}

/** A driver's error (SQLite's SQLITE_… codes, PostgreSQL's five-character SQLSTATE). */
function isStoreFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_') || /^[0-9A-Z]{5}$/.test(code));
}
