import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { AuditStore } from './domain/audit-store.js';
import { LOG_KINDS } from './kinds/log-kinds.js';
import type { StreamKinds } from './streams/stream-events.js';
import { startStreams, type StreamRole, type StreamRuntime } from './streams/stream-runtime.js';

/** What the streams log to: a process's logger once it has one (Fastify's or pino's). */
export interface StreamLogger {
  error(message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

/**
 * The log streams of this process (see startStreams), reporting to `log()` — or to stderr while
 * it is undefined (the app's logger is made after the streams start).
 */
export function startProcessStreams(
  store: AuditStore,
  config: Config,
  registry: Registry,
  log: () => StreamLogger | undefined,
  role: StreamRole,
  now?: () => number,
): Promise<StreamRuntime> {
  return startStreams(
    store,
    streamKinds(),
    config.streams,
    registry,
    {
      onPaused: (stream, reason) => {
        const message = `stream ${stream.name}${stream.owner === '' ? '' : ` of tenant ${stream.owner}`} paused itself: ${reason}`;
        const logger = log();
        if (logger !== undefined) logger.error(message);
        else process.stderr.write(`sealog: ${message}\n`);
      },
      onError: (stream, error) => {
        const what = stream === undefined ? 'streams' : `stream ${stream.name}`;
        const logger = log();
        if (logger !== undefined)
          logger.warn(
            { err: error, owner: stream?.owner, stream: stream?.name },
            `${what}: a step failed; it is retried`,
          );
        else
          process.stderr.write(
            `sealog: ${what}: ${error instanceof Error ? error.message : String(error)}\n`,
          );
      },
    },
    role,
    now,
  );
}

/** What log streams carry of each kind: its console query, its items' fields and its presenter. */
function streamKinds(): StreamKinds {
  return new Map(
    LOG_KINDS.map(({ table, console: description }) => [
      table.kind,
      {
        query: description.query,
        fields: Object.keys(description.item.properties),
        present: (row) => description.present(row),
      },
    ]),
  );
}
