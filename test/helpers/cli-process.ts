import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The compiled CLI (`npm run build`; `npm test` builds first). Tests spawn it with plain node: a
 * TypeScript loader in every child process cost the suite minutes of start-up.
 */
export const CLI_ENTRY = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** How a CLI process ended, with everything it wrote. */
export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves once the process has exited and its output is closed. */
  done: Promise<CliOutcome>;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
}

/** A running `sealog serve`. */
export interface ServingCli extends CliProcess {
  /** The base URL it listens on, e.g. http://127.0.0.1:41234 */
  url: string;
}

/** The longest `sealog serve` may take to listen: a guard against a hang, never an expectation. */
const SERVE_START_LIMIT_MS = 120_000;

/**
 * Starts `node dist/cli/main.js ...args` with only PATH and `env` in its environment. Throws at
 * once when dist/ has not been built.
 */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): CliProcess {
  if (!existsSync(CLI_ENTRY)) {
    throw new Error(`${CLI_ENTRY} does not exist: run npm run build (npm test builds first)`);
  }
  // A process group of its own, so that stopCli can end a primary's workers with it.
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => output };
}

/** Runs the CLI to completion (see startCli). */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliOutcome> {
  return startCli(args, env).done;
}

/**
 * Starts `sealog serve --port 0 ...args` and resolves once it logs the address it listens on;
 * rejects, with its output, if it exits first.
 */
export function serveCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ServingCli> {
  const cli = startCli(['serve', '--port', '0', ...args], env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(cli.child.pid);
      reject(new Error(`sealog serve did not listen within ${SERVE_START_LIMIT_MS} ms:\n${cli.output()}`));
    }, SERVE_START_LIMIT_MS);
    const onData = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output());
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      cli.child.stdout?.off('data', onData);
      cli.child.stderr?.off('data', onData);
      resolve({ ...cli, url: match[1] });
    };
    cli.child.stdout?.on('data', onData);
    cli.child.stderr?.on('data', onData);
    cli.done.then(
      (outcome) => {
        clearTimeout(timer);
        reject(
          new Error(
            `sealog serve exited (${String(outcome.code ?? outcome.signal)}) before listening:\n${cli.output()}`,
          ),
        );
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The longest a CLI process may take to end once signalled: a guard against a hang, never an expectation. */
const STOP_LIMIT_MS = 120_000;

/**
 * Sends `signal` (SIGTERM unless told) to a CLI process and resolves with how it ended, once its
 * output is closed too (no worker of it outlived it). When that takes longer than STOP_LIMIT_MS,
 * its whole process group is killed and this rejects with its output.
 */
export async function stopCli(cli: CliProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<CliOutcome> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(cli.child.pid);
      reject(new Error(`sealog did not end within ${STOP_LIMIT_MS} ms of ${signal}:\n${cli.output()}`));
    }, STOP_LIMIT_MS);
  });
  try {
    return await Promise.race([cli.done, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs the process group `pid` leads (a CLI process and any workers it started), if it runs. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
