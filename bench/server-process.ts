import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The sealog server under test, in its own process so that its CPU time can be read apart. */
export interface ServerProcess {
  url: string;
  /** The process started: the only one, or the primary of its HTTP workers (WORKERS > 1). */
  pid: number;
  /**
   * CPU seconds (user + system) used so far by the server: its process and every descendant (the
   * HTTP workers under WORKERS), including descendants that have exited since.
   */
  cpuSeconds(): number;
  /** Processes of the server now: 1, or the primary and its workers. */
  processCount(): number;
  stop(): Promise<void>;
}

/** Where to start the server from; by default this checkout's build. */
export interface ServerOrigin {
  /** A sealog checkout whose `dist/cli/main.js` is built (the working directory stays this one). */
  checkout?: string;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the comm field (fields 3 on: fields[0] is field 3). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    // The process exited between listing and reading: its time is in its parent's cutime now.
    return undefined;
  }
}

/** `root` and every live descendant, from the parent pids of /proc (cheap enough between runs). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[1]);
    if (!Number.isInteger(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? root) ?? []));
  return tree;
}

/**
 * Starts `node dist/cli/main.js serve` with `env` on `port` and waits until /readyz answers 200.
 * BENCH_SERVER_NODE_ARGS (space-separated) go to that node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`
 * to profile the server, which NODE_OPTIONS does not allow. `origin.checkout` starts another
 * checkout's build instead (the before/after comparison), with the same env and working directory,
 * so that relative data paths name the same files.
 */
export async function startServerProcess(
  env: Record<string, string>,
  port: number,
  origin: ServerOrigin = {},
): Promise<ServerProcess> {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const entry = join(origin.checkout ?? '.', 'dist/cli/main.js');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the server process did not start');
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server (${entry}) exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (attempt > 600) throw new Error('the server did not become ready in 60 s');
    await sleep(100);
  }
  return {
    url,
    pid,
    cpuSeconds() {
      // Fields 14–17 of /proc/<pid>/stat: utime, stime, and the cutime and cstime of children
      // that exited and were waited for (a restarted worker), all in clock ticks. Summed over
      // the live tree, each tick is counted once.
      let ticks = 0;
      for (const member of processTree(pid)) {
        const fields = statFields(member);
        if (fields === undefined) continue;
        for (let field = 11; field <= 14; field++) ticks += Number(fields[field]);
      }
      return ticks / CLOCK_TICKS_PER_SECOND;
    },
    processCount() {
      return processTree(pid).length;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
