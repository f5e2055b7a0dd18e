import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

/**
 * Requests per second of a bare Fastify (floor-server.ts) on as many processes as the machine has
 * cores, answering every request with `body`, under the same autocannon load as scenario 6's
 * endpoints (`connections` keep-alive connections, `path` requested, `seconds` timed after
 * `warmupSeconds`). No server does less per request: with the raw SQL ceiling it bounds what any
 * Node server can answer, 1 / (1/floor + 1/ceiling).
 */
export async function measureHttpFloor(options: {
  body: string;
  path: string;
  port: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
}): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-floor-'));
  const bodyFile = join(dir, 'body.json');
  writeFileSync(bodyFile, options.body);
  const server = fork(join(import.meta.dirname, 'floor-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      FLOOR_PORT: String(options.port),
      FLOOR_PROCESSES: String(availableParallelism()),
      FLOOR_BODY_FILE: bodyFile,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [message] = (await Promise.race([
      once(server, 'message'),
      once(server, 'exit').then(() => {
        throw new Error('the HTTP floor server exited before it listened');
      }),
    ])) as unknown[];
    if (message !== 'listening') throw new Error(`the HTTP floor server said ${String(message)}`);
    const run = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${options.port}${options.path}`,
        connections: options.connections,
        duration,
      });
    await run(options.warmupSeconds);
    const result = await run(options.seconds);
    if (result.non2xx > 0 || result.errors > 0) throw new Error('the HTTP floor server failed requests');
    return Math.round(result.requests.average);
  } finally {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
