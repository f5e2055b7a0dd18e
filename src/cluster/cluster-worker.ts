import { getPriority, setPriority } from 'node:os';
import type { Config } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { openStore, storeSealing, type OpenedStore } from '../storage/open-store.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { isPrimaryMessage, type WorkerMessage } from './ipc-messages.js';
import { processWriteChannel } from './process-write-channel.js';

/**
 * One HTTP worker of `sealog serve` with WORKERS > 1 (see cluster-primary.ts): the whole API on
 * its own event loop, reading the store itself and, on SQLite, writing through the primary (which
 * also delivers the log streams). It stops on SIGINT/SIGTERM (the primary sends SIGTERM to stop
 * it), or when the primary is gone.
 */
export async function runWorker(config: Config): Promise<RunningServer> {
  // On SQLite every write waits for the primary's one writer thread: when the cores are short, the
  // HTTP workers yield to it rather than take its time (their reads go on with what is left).
  if (config.store.kind === 'sqlite') lowerPriority();
  const store: OpenedStore =
    config.store.kind === 'sqlite'
      ? new SqliteStore(config.store.path, {
          writeChannel: processWriteChannel(),
          ...storeSealing(config.store, config.integrity),
        })
      : openStore(config.store, { integrity: config.integrity });
  const send = (message: WorkerMessage) => {
    // The primary may be gone (its channel closed): nothing is listening then.
    if (process.connected) process.send?.(message);
  };
  const clusterMetrics = new Map<number, (answer: { text: string; contentType: string }) => void>();
  let nextId = 0;
  /** Set once the server runs; a stop asked before waits for it. */
  const started: { server?: RunningServer } = {};
  let stopRequested: { reason: string; code: number } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, code: number) => {
    stopRequested ??= { reason, code };
    // Asked while starting: the stop runs once the server is up (it holds the store by then).
    const running = started.server;
    if (running === undefined) return;
    stopping ??= (async () => {
      running.app.log.info(`${reason}: this worker finishes what it holds and exits`);
      let exitCode = code;
      try {
        await running.close();
      } catch (error) {
        running.app.log.error({ err: error }, 'shutdown failed');
        exitCode = 1;
      }
      process.exit(exitCode);
    })();
  };
  // Listening before the server starts: the primary may ask this worker to stop while it starts.
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.sealog === 'metrics') {
      const answer = (metrics: unknown) => {
        send({ sealog: 'metrics', id: message.id, metrics });
      };
      if (started.server === undefined) answer([]);
      else {
        started.server.registry.getMetricsAsJSON().then(answer, () => {
          answer([]);
        });
      }
    } else if (message.sealog === 'cluster-metrics') {
      clusterMetrics.get(message.id)?.({ text: message.text, contentType: message.contentType });
      clusterMetrics.delete(message.id);
    }
  });
  process.once('disconnect', () => {
    // Still starting, a worker without its primary could wait for ever: its listen() is answered by
    // the primary, and nothing it holds yet needs finishing.
    if (started.server === undefined) process.exit(1);
    stop('the primary process is gone', 1);
  });
  process.once('SIGINT', () => {
    stop('SIGINT received', 0);
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM received', 0);
  });
  const server = await startServer(config, {
    store,
    metricsSource: () =>
      new Promise((resolve) => {
        const id = nextId++;
        clusterMetrics.set(id, resolve);
        send({ sealog: 'cluster-metrics', id });
      }),
    streamChanges: () => {
      send({ sealog: 'streams-changed' });
    },
  });
  started.server = server;
  if (stopRequested !== undefined) stop(stopRequested.reason, stopRequested.code);
  return server;
}

/** The nice value HTTP workers run at on SQLite: a third of the writer's CPU share when contended. */
const SQLITE_WORKER_NICE = 5;

/** Lowers this process's scheduling priority (a failure, as under a restricted sandbox, changes nothing). */
function lowerPriority(): void {
  try {
    setPriority(Math.max(getPriority(), SQLITE_WORKER_NICE));
  } catch {
    // The priority stays as it was: slower ingest under load, nothing worse.
  }
}
