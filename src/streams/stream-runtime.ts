import { Counter, Gauge, type Registry } from 'prom-client';
import type { StreamSettings } from '../config.js';
import type { AuditStore } from '../domain/audit-store.js';
import { destinationTypes } from './destinations/destination-registry.js';
import type { DeliveryError } from './destinations/destination.js';
import { storedDefinition } from './stream-definition.js';
import type { StreamKinds } from './stream-events.js';
import { StreamService, type StreamView } from './stream-service.js';
import type { StreamKey } from './stream-store.js';
import { StreamSupervisor } from './stream-supervisor.js';
import { readStreamsFile } from './streams-file.js';
import { Wakeup } from './wakeup.js';

/** Where the streams report what an operator should see. */
export interface StreamEvents {
  /** A stream paused itself (its receiver refused a batch, or it failed too long). */
  onPaused(stream: StreamKey, reason: string): void;
  /** A step failed and is retried (a delivery, the store). */
  onError(stream: StreamKey | undefined, error: unknown): void;
}

/**
 * What a process does with the log streams. `deliver`: it runs deliverers (taking the streams no
 * other process holds), applies STREAMS_FILE and reports the stream metrics — a lone `sealog
 * serve`, or the primary under WORKERS, whose event loop no HTTP request holds up. Otherwise it
 * only serves the streams API and tells `onChange` when a stream changed (an HTTP worker).
 */
export type StreamRole = { deliver: true } | { deliver: false; onChange: () => void };

/** The log streams of a process: the API's service, and how to stop the deliverers. */
export interface StreamRuntime {
  service: StreamService;
  /** Wakes the deliverers of this process at once (a stream changed); nothing where none run. */
  poke(): void;
  stop(): Promise<void>;
}

/**
 * Starts the log streams of this process as `role` says; delivering: applies STREAMS_FILE (throws
 * ConfigError for a file it cannot use, InvalidInputError for a definition it refuses), wakes
 * deliverers on this process's commits, registers the stream metrics in `registry`, and starts
 * the supervisor, which takes the streams no other process holds.
 */
export async function startStreams(
  store: AuditStore,
  kinds: StreamKinds,
  settings: StreamSettings,
  registry: Registry,
  events: StreamEvents,
  role: StreamRole,
  now: () => number = Date.now,
): Promise<StreamRuntime> {
  const destinations = destinationTypes();
  if (!role.deliver) {
    const service = new StreamService(
      store,
      kinds,
      destinations,
      now,
      role.onChange,
      settings.allowPrivateDestinations,
    );
    return { service, poke: () => undefined, stop: () => Promise.resolve() };
  }
  const wakeup = new Wakeup();
  const delivered = new Counter({
    name: 'sealog_stream_events_delivered_total',
    help: 'Events a stream’s receiver acknowledged, by stream (owner: tenant, or "" for the platform)',
    labelNames: ['owner', 'stream'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'sealog_stream_bytes_delivered_total',
    help: 'Bytes of acknowledged batches, by stream',
    labelNames: ['owner', 'stream'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'sealog_stream_delivery_failures_total',
    help: 'Batches that failed, by stream and whether they are retried',
    labelNames: ['owner', 'stream', 'retryable'],
    registers: [registry],
  });
  store.afterCommit.subscribe(
    {
      name: 'streams',
      appended: () => {
        wakeup.wake();
        return Promise.resolve();
      },
      catchUp: () => Promise.resolve(),
    },
    { capacityRows: 1_000_000, overflow: 'catch-up', rows: false },
  );
  const supervisor = new StreamSupervisor(
    {
      store,
      kinds,
      now,
      random: Math.random,
      wakeup,
      listener: {
        delivered: (key, count, size) => {
          delivered.inc({ owner: key.owner, stream: key.name }, count);
          bytes.inc({ owner: key.owner, stream: key.name }, size);
        },
        failed: (key, error: DeliveryError, paused) => {
          failures.inc({ owner: key.owner, stream: key.name, retryable: String(error.retryable) });
          if (paused) events.onPaused(key, error.message);
          else events.onError(key, error);
        },
      },
      open: (stream) => {
        const definition = storedDefinition(stream);
        const secrets = JSON.parse(stream.secrets) as Record<string, unknown>;
        return { ...definition, destination: { ...definition.destination, ...secrets } };
      },
      destination: (destinationSettings) => destinations.create(destinationSettings),
      onError: (stream, error) => {
        events.onError(stream, error);
      },
    },
    { leaseMs: settings.leaseMs },
  );
  const service = new StreamService(
    store,
    kinds,
    destinations,
    now,
    () => {
      void supervisor.poke();
    },
    settings.allowPrivateDestinations,
  );
  if (settings.file !== undefined) await service.applyFile(readStreamsFile(settings.file));
  registerHealthGauges(registry, service);
  supervisor.start();
  return {
    service,
    poke: () => {
      void supervisor.poke();
    },
    stop: () => supervisor.stop(),
  };
}

/** Each stream's state, lag and last success as gauges, read from the store once per scrape. */
function registerHealthGauges(registry: Registry, service: StreamService): void {
  let latest: { at: number; views: Promise<StreamView[]> } | undefined;
  // One read for the four gauges of a scrape (each collects on its own).
  const views = () => {
    if (latest === undefined || Date.now() - latest.at > 1_000) {
      latest = { at: Date.now(), views: service.views() };
    }
    return latest.views;
  };
  const labelNames = ['owner', 'stream'];
  const gauge = (
    name: string,
    help: string,
    values: (view: StreamView) => [Record<string, string>, number][],
  ) =>
    new Gauge({
      name,
      help,
      labelNames: name === 'sealog_stream_state' ? [...labelNames, 'state'] : labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const view of await views()) for (const [labels, value] of values(view)) this.set(labels, value);
      },
    });
  const labelsOf = (view: StreamView) => ({ owner: view.key.owner, stream: view.key.name });
  gauge(
    'sealog_stream_state',
    'Each stream’s state: 1 for the one it is in (active, retrying, paused)',
    (view) =>
      (['active', 'retrying', 'paused'] as const).map((state) => [
        { ...labelsOf(view), state },
        view.state === state ? 1 : 0,
      ]),
  );
  gauge('sealog_stream_lag_events', 'Events stored and not yet delivered, by stream', (view) => [
    [labelsOf(view), view.lag.events],
  ]);
  gauge(
    'sealog_stream_lag_seconds',
    'Seconds a stream has been behind: since its last batch that delivered everything stored when read; 0 when caught up',
    (view) => [[labelsOf(view), view.lag.seconds]],
  );
  gauge(
    'sealog_stream_last_success_timestamp_seconds',
    'When a stream’s receiver last acknowledged a batch (Unix time)',
    (view) =>
      view.stored.lastSuccessAt === null ? [] : [[labelsOf(view), view.stored.lastSuccessAt / 1000]],
  );
}
