import { collectDefaultMetrics, Registry } from 'prom-client';

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
