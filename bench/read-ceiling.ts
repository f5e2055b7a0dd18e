import { fork, type ChildProcess } from 'node:child_process';
import { benchSealing } from './bench-keys.js';
import { availableParallelism } from 'node:os';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AuditStore } from '../src/domain/audit-store.js';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';

/** A value bound to a captured statement (the store binds nothing else on these reads). */
export type SqlParam = string | number | null | readonly (string | number | null)[];

/** One statement as the store ran it: SQL text, parameters, and the driver call that ran it. */
export interface CapturedStatement {
  sql: string;
  params: SqlParam[];
  /** better-sqlite3's Statement method (`run` for BEGIN and COMMIT), or pg's `query`. */
  call: 'all' | 'get' | 'run' | 'query';
}

/** The store of a run: the SQLite file, or the PostgreSQL URL (its search_path on the schema). */
export type StoreTarget = { store: 'sqlite'; path: string } | { store: 'postgres'; url: string };

/** What the parent sends a ceiling worker: first the job, then `go` once every worker is ready. */
export type ParentMessage =
  { type: 'job'; target: StoreTarget; statements: CapturedStatement[] } | { type: 'go'; seconds: number };

/** What a ceiling worker answers: ready (prepared and warmed up), then its count, or its failure. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; requests: number; seconds: number }
  | { type: 'failed'; message: string };

/** The raw ceiling of one request's statements. */
export interface ReadCeiling {
  /** Requests' worth of statements per second, summed over the processes. */
  perSecond: number;
  processes: number;
}

function sqlParam(value: unknown): SqlParam {
  const scalar = (item: unknown): item is string | number | null =>
    item === null || typeof item === 'string' || typeof item === 'number';
  if (scalar(value)) return value;
  if (Array.isArray(value) && value.every(scalar)) return value;
  throw new Error(`cannot replay a statement parameter of type ${typeof value}`);
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces method `name` of `target` by `wrapper(original)`; the function returned puts it back. */
function wrapMethod(target: object, name: string, wrapper: (original: Method) => Method): () => void {
  const own = Object.getOwnPropertyDescriptor(target, name);
  const original = Reflect.get(target, name) as Method;
  Object.defineProperty(target, name, { value: wrapper(original), writable: true, configurable: true });
  return () => {
    if (own === undefined) Reflect.deleteProperty(target, name);
    else Object.defineProperty(target, name, own);
  };
}

/**
 * Records the statements the store's own code runs: at the driver, below every sealog layer, so
 * the capture is exactly what a request sends (the page query, its total, a token lookup, and a
 * transaction's BEGIN and COMMIT on SQLite). Calls `requests` each once, on a store opened for the
 * purpose, and returns each one's statements in order. Only this process's connections are
 * recorded: the SQLite writer thread and the pg reachability probe run apart and are left out.
 */
export async function captureStatements<Name extends string>(
  target: StoreTarget,
  requests: Record<Name, (store: AuditStore) => Promise<void>>,
): Promise<Record<Name, CapturedStatement[]>> {
  let recording: CapturedStatement[] | undefined;
  const restores: (() => void)[] = [];
  let store: SqliteStore | PostgresStore | undefined;
  const captured = {} as Record<Name, CapturedStatement[]>;
  try {
    if (target.store === 'sqlite') {
      const probe = new Database(':memory:');
      const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as object;
      probe.close();
      for (const call of ['all', 'get', 'run'] as const) {
        restores.push(
          wrapMethod(
            statementPrototype,
            call,
            (original) =>
              function (this: unknown, ...params: unknown[]): unknown {
                const { source } = this as Database.Statement;
                recording?.push({ sql: source, params: params.map(sqlParam), call });
                return original.apply(this, params);
              },
          ),
        );
      }
      restores.push(
        wrapMethod(
          statementPrototype,
          'iterate',
          (original) =>
            function (this: unknown, ...params: unknown[]): unknown {
              if (recording !== undefined)
                throw new Error('a captured request iterates: the worker replays no iterate()');
              return original.apply(this, params);
            },
        ),
      );
      store = new SqliteStore(target.path, benchSealing());
    } else {
      // pg.Pool.query, not Client.query: the pool runs the store's statements; its reachability
      // monitor probes with a Client of its own.
      restores.push(
        wrapMethod(
          pg.Pool.prototype,
          'query',
          (original) =>
            function (this: unknown, ...args: unknown[]): unknown {
              const [first, params] = args;
              if (recording !== undefined) {
                // The store sends named statements ({name, text, values}); older builds a text.
                const config = (typeof first === 'string' ? { text: first, values: params } : first) as {
                  text?: unknown;
                  values?: unknown;
                };
                if (typeof config.text !== 'string')
                  throw new Error('the store queried without a text: capture it too');
                const values: unknown[] = Array.isArray(config.values) ? config.values : [];
                recording.push({ sql: config.text, params: values.map(sqlParam), call: 'query' });
              }
              return original.apply(this, args);
            },
        ),
      );
      store = new PostgresStore(
        { url: target.url, poolSize: 1, statementTimeoutMs: 60_000, unavailableTimeoutMs: 10_000 },
        Date.now,
        benchSealing(),
      );
    }
    for (const name of Object.keys(requests) as Name[]) {
      const statements: CapturedStatement[] = [];
      recording = statements;
      await requests[name](store);
      recording = undefined;
      if (statements.length === 0) throw new Error(`${name}: the store ran no statement`);
      captured[name] = statements;
    }
  } finally {
    recording = undefined;
    for (const restore of restores.reverse()) restore();
    await store?.close();
  }
  return captured;
}

/**
 * Runs `statements` (one request's worth) in a loop straight through the driver, in `processes`
 * OS processes (bench/ceiling-worker.ts) each with its own connection and prepared statements,
 * all for the same `seconds` after every one has prepared and warmed up; rows are fetched as
 * objects, as the store fetches them. Requests per second summed over the processes.
 */
export async function measureReadCeiling(
  target: StoreTarget,
  statements: readonly CapturedStatement[],
  seconds: number,
  processes = availableParallelism(),
): Promise<ReadCeiling> {
  const workers: ChildProcess[] = [];
  try {
    const answers = Array.from({ length: processes }, () => {
      // tsx runs the TypeScript worker as it runs this bench.
      const worker = fork(new URL('./ceiling-worker.ts', import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      workers.push(worker);
      return workerAnswers(worker);
    });
    for (const worker of workers) send(worker, { type: 'job', target, statements: [...statements] });
    await Promise.all(answers.map((answer) => answer.next('ready')));
    for (const worker of workers) send(worker, { type: 'go', seconds });
    const done = await Promise.all(answers.map((answer) => answer.next('done')));
    const perSecond = done.reduce((sum, { requests, seconds: took }) => sum + requests / took, 0);
    return { perSecond: Math.round(perSecond), processes };
  } finally {
    for (const worker of workers) if (worker.exitCode === null) worker.kill();
  }
}

function send(worker: ChildProcess, message: ParentMessage): void {
  worker.send(message);
}

/** A worker's messages in order; a failure or an early exit rejects the next one awaited. */
function workerAnswers(worker: ChildProcess) {
  const queue: WorkerMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  worker.on('message', (received) => {
    const message = received as WorkerMessage;
    if (message.type === 'failed') failure = new Error(`ceiling worker: ${message.message}`);
    else queue.push(message);
    wake?.();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`ceiling worker exited with ${code}`);
    wake?.();
  });
  return {
    async next<Type extends 'ready' | 'done'>(type: Type): Promise<Extract<WorkerMessage, { type: Type }>> {
      for (;;) {
        const message = queue.shift();
        if (message !== undefined) {
          if (message.type !== type) throw new Error(`ceiling worker: expected ${type}, got ${message.type}`);
          return message as Extract<WorkerMessage, { type: Type }>;
        }
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
