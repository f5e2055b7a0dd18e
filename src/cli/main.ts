#!/usr/bin/env node
import { ConfigError } from '../config.js';
import { UsageError } from './settings-options.js';
import { packageVersion } from '../version.js';

/** A command: how it runs, and its --help text. */
interface Command {
  run: (args: string[], env: NodeJS.ProcessEnv) => Promise<void>;
  help: string;
}

/**
 * Each command's module, loaded when the command runs: loading all of them (the server's Fastify
 * among them) cost every command about a second of CPU before it started, `sealog verify` included.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => {
    const { serveCommand, SERVE_HELP } = await import('./serve-command.js');
    return { run: serveCommand, help: SERVE_HELP };
  },
  token: async () => {
    const { tokenCommand, TOKEN_HELP } = await import('./token-command.js');
    return { run: tokenCommand, help: TOKEN_HELP };
  },
  'console-link': async () => {
    const { consoleLinkCommand, CONSOLE_LINK_HELP } = await import('./console-link-command.js');
    return { run: consoleLinkCommand, help: CONSOLE_LINK_HELP };
  },
  migrate: async () => {
    const { migrateCommand, MIGRATE_HELP } = await import('./migrate-command.js');
    return { run: migrateCommand, help: MIGRATE_HELP };
  },
  copy: async () => {
    const { copyCommand, COPY_HELP } = await import('./copy-command.js');
    return { run: copyCommand, help: COPY_HELP };
  },
  openapi: async () => {
    const { openApiCommand, OPENAPI_HELP } = await import('./openapi-command.js');
    return { run: openApiCommand, help: OPENAPI_HELP };
  },
  erase: async () => {
    const { eraseCommand, ERASE_HELP } = await import('./erase-command.js');
    return { run: eraseCommand, help: ERASE_HELP };
  },
  purge: async () => {
    const { purgeCommand, PURGE_HELP } = await import('./purge-command.js');
    return { run: purgeCommand, help: PURGE_HELP };
  },
  verify: async () => {
    const { verifyCommand, VERIFY_HELP } = await import('./verify-command.js');
    return { run: verifyCommand, help: VERIFY_HELP };
  },
};

const HELP = `Usage: sealog <command> [options]

Commands:
  serve         start the HTTP server (--demo loads demo data)
  token         mint a token for local use
  console-link  print a one-time link signing a browser in to the web console (/console)
  migrate       bring the store's schema up to date
  copy          copy a SQLite store into PostgreSQL (resumable, verified)
  verify        check the store against its signed integrity logs
  erase         erase a data subject: its personal fields read [erased], proofs stay valid
  purge         remove the logs older than their retention (--dry-run counts them)
  openapi       print the OpenAPI document of the HTTP API (JSON, on stdout)

Run sealog <command> --help for a command's options; sealog --version prints the version.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const helped = name === 'help' && args[0] !== undefined ? COMMANDS[args[0]] : undefined;
    process.stdout.write(helped === undefined ? HELP : (await helped()).help);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`sealog ${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(
      `sealog: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}\n`,
    );
    return 2;
  }
  try {
    const command = await load();
    await command.run(args, process.env);
    return 0;
  } catch (error) {
    process.stderr.write(`sealog ${name}: ${describeStartupError(error)}\n`);
    return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
  }
}

function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.message}`;
  if (error instanceof UsageError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the port is in use: stop the other server or set PORT (--port)';
  if (code === 'EACCES') return `permission denied: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`sealog: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
