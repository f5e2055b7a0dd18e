import cluster from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import { runWorker } from '../cluster/cluster-worker.js';
import { startPrimary } from '../cluster/cluster-primary.js';
import type { Config } from '../config.js';
import { startServer } from '../server.js';
import type { AuditStore } from '../domain/audit-store.js';
import { DEMO_TENANTS } from '../kinds/demo-records.js';
import { LOG_KINDS } from '../kinds/log-kinds.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
} from './settings-options.js';

export const SERVE_HELP = `Usage: sealog serve [options]

Starts the HTTP server. Every option can also be set by its environment variable;
the flag wins when both are given.

Options:
${formatOptions([
  ...settingOptions(),
  { flag: '--demo', help: 'load a few thousand demo logs of each kind first' },
  HELP_OPTION,
])}
`;

/** `sealog serve`: runs until SIGINT or SIGTERM, then shuts down gracefully. */
export async function serveCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('serve', args, { demo: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const config = configFrom(values, env);
  if (cluster.isWorker && env.SEALOG_WORKER === '1') {
    // A worker started after the others (a restart) takes the port they share, which PORT=0 chose.
    const port = env.SEALOG_WORKER_PORT;
    try {
      await runWorker(port === undefined ? config : { ...config, port: Number(port) });
    } catch (error) {
      // A worker's channel to the primary would keep one that cannot start alive for ever, and
      // deaf to SIGTERM: once its error is printed it exits (not by disconnecting, which a cluster
      // worker answers with exit code 0), and the primary starts another.
      setImmediate(() => process.exit(1));
      throw error;
    }
    return;
  }
  // An in-memory store lives in one process: no other could read it.
  const inMemory = config.store.kind === 'sqlite' && config.store.path === ':memory:';
  if (config.workers > 1 && !inMemory) {
    await servePrimary(config, values.demo === true);
    return;
  }
  const server = await startServer(
    config,
    values.demo === true ? { beforeListen: (store, app) => loadDemoData(store, app.log) } : {},
  );
  const stop = (signal: string) => {
    server.app.log.info(`${signal} received: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The primary of WORKERS > 1: runs until SIGINT or SIGTERM, then stops the workers and the store. */
async function servePrimary(config: Config, demo: boolean): Promise<void> {
  const primary = await startPrimary(config, demo ? { beforeFork: loadDemoData } : {});
  // Before any worker listens: a signal while they start stops them all the same way.
  const stop = (signal: string) => {
    primary.log.info(`${signal} received: stopping the workers, then the store`);
    primary.close().then(
      () => process.exit(0),
      (error: unknown) => {
        primary.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const url = await primary.listening;
  primary.log.info(`${config.workers} workers listening at ${url}`);
}

/** Loads every kind's demo data through the same domain rules as ingest; stable ids make reloading a no-op. */
async function loadDemoData(store: AuditStore, log: FastifyBaseLogger): Promise<void> {
  const added: string[] = [];
  for (const kind of LOG_KINDS) {
    if (kind.demo === undefined) continue;
    const outcome = await kind.demo({ store, now: Date.now });
    added.push(`${outcome.ids.length - outcome.duplicates.length} ${kind.table.kind}s`);
  }
  log.info(
    `demo data in tenants ${DEMO_TENANTS.join(' and ')}: ${added.join(', ')} added (ids already stored are skipped). ` +
      'Try: TOKEN=$(npx sealog token --sub admin --tenant tnt_demo --role admin) && ' +
      'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8080/admin/communication/logs?page_size=2"',
  );
}
