import type { WriteReply, WriteRequest } from '../storage/sqlite/engine/pending-writes.js';

/**
 * What the primary process and the HTTP workers (WORKERS > 1) say to each other over the IPC
 * channel, structured-cloned (`serialization: 'advanced'`, so rows and undefined survive).
 */
export type WorkerMessage =
  /** A write of the embedded store, for the primary's writer. */
  | { sealog: 'write'; request: WriteRequest }
  /** The worker's metrics, answering a `metrics` request. */
  | { sealog: 'metrics'; id: number; metrics: unknown }
  /** A worker asks for every process's metrics, to answer GET /metrics. */
  | { sealog: 'cluster-metrics'; id: number }
  /** A stream was created, changed or removed through a worker's API: the primary delivers them. */
  | { sealog: 'streams-changed' };

export type PrimaryMessage =
  | { sealog: 'write-reply'; reply: WriteReply }
  /** Asks a worker for its metrics (as prom-client's getMetricsAsJSON gives them). */
  | { sealog: 'metrics'; id: number }
  /** Every process's metrics, in Prometheus text, answering `cluster-metrics`. */
  | { sealog: 'cluster-metrics'; id: number; text: string; contentType: string };

/** Whether `message` is one of sealog's (other modules may use the channel too). */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return isSealogMessage(message);
}

/** Whether `message` is one the primary sent. */
export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return isSealogMessage(message);
}

function isSealogMessage(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { sealog?: unknown }).sealog === 'string'
  );
}
