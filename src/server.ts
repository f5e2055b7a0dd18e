import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createTokenVerifier } from './http/auth/token-verifier.js';
import { resolveVerificationKey } from './http/auth/verification-key.js';
import type { AuditStore } from './domain/audit-store.js';
import { dataDirectory, openStore, type OpenedStore } from './storage/open-store.js';
import { startIntegrity, type IntegrityRuntime } from './integrity/integrity-runtime.js';
import { dataMigrationProgress } from './cli/copy-progress.js';
import type { MetricsSource } from './http/plugins/metrics.js';
import { processRegistry, registrySource } from './metrics/process-metrics.js';
import { registerStoreMetrics } from './metrics/store-metrics.js';
import { serveMetrics, type MetricsListener } from './metrics/metrics-listener.js';
import { RetentionService } from './retention/retention-service.js';
import { PurgeService } from './retention/purge-service.js';
import { PurgeScheduler } from './retention/purge-scheduler.js';
import type { PurgeReport } from './retention/purge-store.js';
import type { StreamRuntime } from './streams/stream-runtime.js';
import { startProcessStreams } from './process-streams.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The store, as its adapter (tests and benchmarks reach its diagnostics). */
  store: OpenedStore;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Base URL of the METRICS_PORT listener, when this process runs one. */
  metricsUrl: string | undefined;
  /** This process's metrics. */
  registry: Registry;
  /** Stops accepting requests, lets running ones finish, then closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The clock, epoch ms (default Date.now); tests skew it to play a client with a wrong clock. */
  now?: () => number;
  /** Runs after migrations and before listening, e.g. to load demo data. */
  beforeListen?: (store: AuditStore, app: FastifyInstance) => Promise<void>;
  /** The store to serve, already open (a worker's); opened from the config when absent. */
  store?: OpenedStore;
  /**
   * Where GET /metrics reads from (a worker asks its primary for every process's); this process's
   * registry when absent. With a source given, METRICS_PORT is not listened on here.
   */
  metricsSource?: MetricsSource;
  /** The console's build output (default dist/console/ of the package); tests serve a fixture. */
  consoleRoot?: string;
  /**
   * Set in an HTTP worker whose primary delivers the log streams (WORKERS > 1): this process only
   * serves the streams API, and calls this when a stream was created, changed or removed.
   */
  streamChanges?: () => void;
}

/**
 * Opens and migrates the store, resolves the token key, builds the app and listens.
 * With no JWT key configured, the generated secret's location and how to mint a token are logged.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // The store starts its background threads before the app (and its logger) exists.
  let log: FastifyBaseLogger | undefined;
  const store =
    options.store ??
    openStore(config.store, {
      integrity: config.integrity,
      onBackgroundFailure: (component, error) => {
        if (log !== undefined)
          log.error({ err: error, component }, `${component} failed; it recovers by itself`);
        else process.stderr.write(`sealog: ${component} failed: ${error.message}\n`);
      },
    });
  let metricsListener: MetricsListener | undefined;
  let integrity: IntegrityRuntime | undefined;
  let scheduler: PurgeScheduler | undefined;
  let streams: StreamRuntime | undefined;
  try {
    const applied = await store.migrate(undefined, dataMigrationProgress(process.stderr));
    integrity = await startIntegrity(store.integrity, config.integrity, dataDirectory(config.store), {
      onAlarm: (message, error) => {
        if (log !== undefined) log.error({ err: error }, message);
        else process.stderr.write(`sealog: ${message}\n`);
      },
      onError: (error) => {
        if (log !== undefined) log.warn({ err: error }, 'integrity log: a step failed; it is retried');
        else process.stderr.write(`sealog: integrity log: ${error.message}\n`);
      },
    });
    const key = await resolveVerificationKey(config.jwt, dataDirectory(config.store));
    const registry = processRegistry();
    registerStoreMetrics(registry, store);
    const source: MetricsSource = options.metricsSource ?? registrySource(registry);
    const retention = new RetentionService(store.retentionOverrides, config.retention, options.now);
    const purge = new PurgeService(store, () => store.integrity.logStates(), retention, options.now);
    streams = await startProcessStreams(
      store,
      config,
      registry,
      () => log,
      options.streamChanges === undefined
        ? { deliver: true }
        : { deliver: false, onChange: options.streamChanges },
      options.now,
    );
    const app = await buildApp({
      store,
      verifyToken: createTokenVerifier(key, { issuer: config.jwt.issuer, audience: config.jwt.audience }),
      limits: config.limits,
      tuya: config.tuya,
      ...(options.now === undefined ? {} : { now: options.now }),
      logger: { level: config.logLevel },
      metrics: { registry, token: config.metrics.token, source },
      trustProxy: config.trustProxy,
      integrity: integrity.service,
      retention,
      purge,
      streams: streams.service,
      consoleSessionTtlMs: config.consoleSessionTtlMs,
      ...(options.consoleRoot === undefined ? {} : { consoleRoot: options.consoleRoot }),
    });
    log = app.log;
    if (applied.length > 0) app.log.info({ migrations: applied }, 'store migrated');
    if (key.kind === 'keys' && key.generatedFile !== undefined) {
      app.log.info(
        `no JWT key configured: using the generated secret in ${key.generatedFile} (mode 0600). ` +
          'Mint a token with: npx sealog token --sub admin --tenant tnt_demo --role admin',
      );
    }
    scheduler = new PurgeScheduler(
      (signal) => purge.run({ signal }),
      config.purgeIntervalMs,
      (run) => {
        if (run.ran) logPurge(app.log, run.reports);
      },
      (error) => {
        app.log.error({ err: error }, 'retention purge failed; the next one tries again');
      },
    );
    scheduler.start();
    await options.beforeListen?.(store, app);
    const url = await app.listen({ port: config.port, host: config.host });
    if (config.metrics.port !== undefined && options.metricsSource === undefined) {
      metricsListener = await serveMetrics(source, config.host, config.metrics.port);
      app.log.info(`metrics at ${metricsListener.url}/metrics`);
    }
    return {
      app,
      store,
      url,
      metricsUrl: metricsListener?.url,
      registry,
      close: async () => {
        await metricsListener?.close();
        await app.close();
        await streams?.stop();
        await scheduler?.stop();
        await integrity?.stop();
        await store.close();
      },
    };
  } catch (error) {
    await metricsListener?.close();
    await streams?.stop();
    await scheduler?.stop();
    await integrity?.stop();
    await store.close();
    throw error;
  }
}

/** One line per log a scheduled purge removed rows from (nothing when it removed none). */
function logPurge(log: FastifyBaseLogger, reports: readonly PurgeReport[]): void {
  for (const report of reports) {
    if (report.removed === 0) continue;
    log.info(
      { tenant: report.tenantId, kind: report.kind, removed: report.removed, ms: report.durationMs },
      'retention purge removed expired rows',
    );
  }
}
