import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsSource } from '../http/plugins/metrics.js';

/**
 * A registry of this process's metrics with prom-client's process and Node.js defaults (CPU,
 * memory, event-loop lag, handles). One per server, so that servers sharing a process (tests)
 * keep their figures apart.
 */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** `registry`'s metrics as GET /metrics answers them: this process's alone. */
export function registrySource(registry: Registry): MetricsSource {
  return async () => ({ text: await registry.metrics(), contentType: registry.contentType });
}
