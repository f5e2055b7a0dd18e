import cluster, { type Worker } from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import type { AuditStore } from '../domain/audit-store.js';
import { toWireError } from '../storage/sqlite/engine/pending-writes.js';
import { openStore, type OpenedStore } from '../storage/open-store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { serveMetrics, type MetricsListener } from '../metrics/metrics-listener.js';
import { isWorkerMessage, type PrimaryMessage } from './ipc-messages.js';
import { startProcessStreams } from '../process-streams.js';
import type { StreamRuntime } from '../streams/stream-runtime.js';

/** Pause before a worker that died is started again, doubling up to MAX_RESTART_DELAY_MS. */
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long before dying was healthy: the next restart waits the first delay. */
const HEALTHY_UPTIME_MS = 60_000;

export interface PrimaryOptions {
  /** Runs once the store is migrated, before any worker starts (the demo data). */
  beforeFork?: (store: AuditStore, log: FastifyBaseLogger) => Promise<void>;
}

/** The primary process of `sealog serve` with WORKERS > 1, once started. */
export interface RunningPrimary {
  log: Logger;
  /** Every worker has listened once: the URL they share. */
  listening: Promise<string>;
  /** Asks every worker to finish, waits for them, then closes the store. */
  close(): Promise<void>;
}

/**
 * Runs `sealog serve` as a primary process and `config.workers` HTTP workers (node:cluster), so
 * reads use every core: each worker parses, authenticates, queries and answers on its own event
 * loop and its own connection to the store; the kernel's connections are spread among them.
 *
 * The primary migrates the store before any worker starts. On SQLite it then keeps the store's one
 * writer (and its WAL checkpointer and search indexer): workers send every write here, where it is
 * group-committed with everyone else's and published to the after-commit seam, so SQLite keeps one
 * writer however many processes read. On PostgreSQL each worker writes on its own pool. Either
 * way the primary delivers the log streams (and takes part in PostgreSQL's sequencing, like every
 * process on the store); workers serve the streams API and tell it of changes.
 *
 * A worker that dies is started again after a pause; SIGINT or SIGTERM (or close()) asks every
 * worker to finish the requests it holds, waits for them, and closes the store last, because the
 * workers' last writes (their access logs) still come through it.
 */
export async function startPrimary(config: Config, options: PrimaryOptions = {}): Promise<RunningPrimary> {
  const log = pino({ level: config.logLevel }).child({ role: 'primary' });
  const store: OpenedStore = openStore(config.store, {
    integrity: config.integrity,
    onBackgroundFailure: (component, error) => {
      log.error({ err: error, component }, `${component} failed; it recovers by itself`);
    },
  });
  let writerStore: SqliteStore | undefined;
  try {
    const applied = await store.migrate();
    if (applied.length > 0) log.info({ migrations: applied }, 'store migrated');
    await options.beforeFork?.(store, log);
  } catch (error) {
    await store.close();
    throw error;
  }
  if (store instanceof SqliteStore) writerStore = store;
  const metrics = new ClusterMetrics(writerStore);
  // The log streams are delivered here, on an event loop no HTTP request holds up: in a worker,
  // each read of a batch waited behind the ingest's requests at every step.
  let streams: StreamRuntime;
  try {
    streams = await startProcessStreams(store, config, metrics.registry, () => log, { deliver: true });
  } catch (error) {
    await store.close();
    throw error;
  }
  const workers = new Set<Worker>();
  let stopping = false;
  let restartDelayMs = FIRST_RESTART_DELAY_MS;
  let resolveListening: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => {
    resolveListening = resolve;
  });
  let listeningWorkers = 0;
  /** Restarts waiting out their pause, cleared by close(). */
  const restarts = new Set<NodeJS.Timeout>();

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message.sealog === 'write') {
      const { id } = message.request;
      if (writerStore === undefined) {
        send(worker, {
          sealog: 'write-reply',
          reply: { id, error: toWireError(new Error('no SQLite writer here')) },
        });
        return;
      }
      writerStore.serveWrite(message.request).then(
        (value) => {
          send(worker, { sealog: 'write-reply', reply: { id, value } });
        },
        (error: unknown) => {
          send(worker, { sealog: 'write-reply', reply: { id, error: toWireError(error) } });
        },
      );
    } else if (message.sealog === 'metrics') {
      metrics.received(message.id, message.metrics, worker);
    } else if (message.sealog === 'streams-changed') {
      streams.poke();
    } else {
      metrics.gather([...workers]).then(
        ({ text, contentType }) => {
          send(worker, { sealog: 'cluster-metrics', id: message.id, text, contentType });
        },
        (error: unknown) => {
          log.error({ err: error }, 'gathering the workers’ metrics failed');
          send(worker, { sealog: 'cluster-metrics', id: message.id, text: '', contentType: 'text/plain' });
        },
      );
    }
  };

  /** Once the workers listen: their port, for those started later (PORT=0 picks one at random). */
  let port: number | undefined;
  const fork = () => {
    // A restart whose pause ends after close() began: the worker is not wanted any more.
    if (stopping) return;
    const worker = cluster.fork({
      SEALOG_WORKER: '1',
      ...(port === undefined ? {} : { SEALOG_WORKER_PORT: String(port) }),
    });
    const startedAt = Date.now();
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      onMessage(worker, message);
    });
    worker.once('listening', (address) => {
      port ??= address.port;
      listeningWorkers++;
      if (listeningWorkers === config.workers) {
        const host = address.address === '' ? config.host : address.address;
        resolveListening(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
      }
    });
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      metrics.forget(worker);
      if (stopping) return;
      restartDelayMs = Date.now() - startedAt > HEALTHY_UPTIME_MS ? FIRST_RESTART_DELAY_MS : restartDelayMs;
      log.error(
        { workerPid: worker.process.pid, code, signal },
        `a worker exited; starting another in ${restartDelayMs} ms`,
      );
      // Not unref'd: with every worker dead, this timer is what keeps the primary alive to restart them.
      const restart = setTimeout(() => {
        restarts.delete(restart);
        fork();
      }, restartDelayMs);
      restarts.add(restart);
      restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    });
  };

  let metricsListener: MetricsListener | undefined;
  if (config.metrics.port !== undefined) {
    metricsListener = await serveMetrics(
      () => metrics.gather([...workers]),
      config.host,
      config.metrics.port,
    );
    log.info(`metrics at ${metricsListener.url}/metrics`);
  }

  // Structured cloning carries rows (and undefined results) as the writer thread receives them.
  cluster.setupPrimary({ serialization: 'advanced' });
  for (let n = 0; n < config.workers; n++) fork();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopping = true;
      for (const restart of restarts) clearTimeout(restart);
      await Promise.all(
        [...workers].map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) {
                resolve();
                return;
              }
              worker.once('exit', () => {
                resolve();
              });
              // A signal, not a message: a worker still starting has no listener yet and would
              // lose a message; before its handler is installed the signal simply ends it.
              worker.process.kill('SIGTERM');
            }),
        ),
      );
      await metricsListener?.close();
      await streams.stop();
      await store.close();
    })();
    return closing;
  };
  return { log, listening, close };
}
