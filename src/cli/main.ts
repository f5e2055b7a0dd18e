#!/usr/bin/env node
import { ConfigError } from '../config.js';
import { copyCommand, COPY_HELP } from './copy-command.js';
import { migrateCommand, MIGRATE_HELP } from './migrate-command.js';
import { openApiCommand, OPENAPI_HELP } from './openapi-command.js';
import { serveCommand, SERVE_HELP } from './serve-command.js';
import { UsageError } from './settings-options.js';
import { tokenCommand, TOKEN_HELP } from './token-command.js';
import { verifyCommand, VERIFY_HELP } from './verify-command.js';
import { packageVersion } from '../version.js';

const COMMANDS: Record<
  string,
  { run: (args: string[], env: NodeJS.ProcessEnv) => Promise<void>; help: string }
> = {
  serve: { run: serveCommand, help: SERVE_HELP },
  token: { run: tokenCommand, help: TOKEN_HELP },
  migrate: { run: migrateCommand, help: MIGRATE_HELP },
  copy: { run: copyCommand, help: COPY_HELP },
  openapi: { run: openApiCommand, help: OPENAPI_HELP },
  verify: { run: verifyCommand, help: VERIFY_HELP },
};

const HELP = `Usage: sealog <command> [options]

Commands:
  serve     start the HTTP server (--demo loads demo data)
  token     mint a token for local use
  migrate   bring the store's schema up to date
  copy      copy a SQLite store into PostgreSQL (resumable, verified)
  verify    check the store against its signed integrity logs
  openapi   print the OpenAPI document of the HTTP API (JSON, on stdout)

Run sealog <command> --help for a command's options; sealog --version prints the version.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(name === 'help' && args[0] !== undefined ? (COMMANDS[args[0]]?.help ?? HELP) : HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`sealog ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(
      `sealog: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}\n`,
    );
    return 2;
  }
  try {
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
