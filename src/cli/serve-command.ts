import type { FastifyInstance } from 'fastify';
import { startServer } from '../server.js';
import type { AuditStore } from '../domain/audit-store.js';
import { DEMO_TENANTS } from '../kinds/demo-records.js';
import { LOG_KINDS } from '../kinds/log-kinds.js';
import { configFrom, parseCommandLine, settingsHelp } from './settings-options.js';

export const SERVE_HELP = `Usage: sealog serve [options]

Starts the HTTP server. Every option can also be set by its environment variable;
the flag wins when both are given.

Options:
${settingsHelp()}
  --demo                              load a few thousand demo logs of each kind first
  -h, --help                          show this help
`;

/** `sealog serve`: runs until SIGINT or SIGTERM, then shuts down gracefully. */
export async function serveCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('serve', args, { demo: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const config = configFrom(values, env);
  const server = await startServer(config, values.demo === true ? { beforeListen: loadDemoData } : {});
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

/** Loads every kind's demo data through the same domain rules as ingest; stable ids make reloading a no-op. */
async function loadDemoData(store: AuditStore, app: FastifyInstance): Promise<void> {
  const added: string[] = [];
  for (const kind of LOG_KINDS) {
    if (kind.demo === undefined) continue;
    const outcome = await kind.demo({ store, now: Date.now });
    added.push(`${outcome.ids.length - outcome.duplicates.length} ${kind.table.kind}s`);
  }
  app.log.info(
    `demo data in tenants ${DEMO_TENANTS.join(' and ')}: ${added.join(', ')} added (ids already stored are skipped). ` +
      'Try: TOKEN=$(npx sealog token --sub admin --tenant tnt_demo --role admin) && ' +
      'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8080/admin/communication/logs?page_size=2"',
  );
}
