import type { Worker } from 'node:cluster';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';
import type { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { processRegistry } from '../metrics/process-metrics.js';
import { registerStoreMetrics } from '../metrics/store-metrics.js';
import type { PrimaryMessage } from './ipc-messages.js';

type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The metrics of a whole `sealog serve` with workers: the primary's own (process figures and, on
 * SQLite, the writer's: events committed, group commits, queue, search-index lag) summed with every
 * worker's (HTTP, their pools), gathered over IPC when GET /metrics is asked of any of them.
 */
export class ClusterMetrics {
  readonly registry: Registry;
  private readonly waiting = new Map<
    number,
    { pending: Set<Worker>; results: WorkerMetrics[]; done: () => void }
  >();
  private nextId = 0;

  constructor(writerStore: SqliteStore | undefined) {
    this.registry = processRegistry();
    if (writerStore !== undefined) registerStoreMetrics(this.registry, writerStore);
  }

  /** Asks each of `workers` for its metrics and answers every process's, aggregated. */
  async gather(workers: readonly Worker[]): Promise<{ text: string; contentType: string }> {
    const id = this.nextId++;
    const live = workers.filter((worker) => worker.isConnected());
    const results: WorkerMetrics[] = [];
    await new Promise<void>((resolve) => {
      const pending = new Set(live);
      this.waiting.set(id, { pending, results, done: resolve });
      if (pending.size === 0) resolve();
      for (const worker of live) {
        const message: PrimaryMessage = { sealog: 'metrics', id };
        worker.send(message);
      }
    });
    this.waiting.delete(id);
    const own = (await this.registry.getMetricsAsJSON()) as WorkerMetrics;
    const aggregated = AggregatorRegistry.aggregate([own, ...results]);
    return { text: await aggregated.metrics(), contentType: aggregated.contentType };
  }

  /** A worker's answer to request `id`. */
  received(id: number, metrics: unknown, from: Worker): void {
    const request = this.waiting.get(id);
    if (request === undefined || !request.pending.delete(from)) return;
    request.results.push(metrics as WorkerMetrics);
    if (request.pending.size === 0) request.done();
  }

  /** A worker is gone: nothing waits for its answer any more. */
  forget(worker: Worker): void {
    for (const request of this.waiting.values()) {
      if (request.pending.delete(worker) && request.pending.size === 0) request.done();
    }
  }
}
