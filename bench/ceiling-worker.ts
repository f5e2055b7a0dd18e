/**
 * One process of a read ceiling (see measureReadCeiling in read-ceiling.ts): prepares the captured
 * statements of one request on a connection of its own, warms them up, says it is ready, then on
 * `go` runs them back to back for the given seconds and reports how many requests' worth it ran.
 */
import pg from 'pg';
import { openStoreConnection } from '../src/storage/sqlite/engine/store-connection.js';
import type { CapturedStatement, ParentMessage, StoreTarget, WorkerMessage } from './read-ceiling.js';

/** Untimed passes before `ready`: plans, page cache and JIT settle. */
const WARMUP_MS = 500;

interface Runner {
  /** Runs one request's statements once. */
  once(): void | Promise<void>;
  close(): Promise<void>;
}

function answer(message: WorkerMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

/** better-sqlite3 on a connection as the store opens its own (WAL, same pragmas). */
function sqliteRunner(path: string, statements: readonly CapturedStatement[]): Runner {
  const db = openStoreConnection(path);
  const prepared = statements.map(({ sql, params, call }) => ({ statement: db.prepare(sql), params, call }));
  return {
    once() {
      for (const { statement, params, call } of prepared) {
        if (call === 'all') statement.all(...params);
        else if (call === 'get') statement.get(...params);
        else if (call === 'run') statement.run(...params);
        else throw new Error(`a SQLite statement cannot be replayed with ${call}`);
      }
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}

/** pg on one connection; each statement a named (prepared) statement, int8 parsed as the store's pool does. */
async function postgresRunner(url: string, statements: readonly CapturedStatement[]): Promise<Runner> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  const queries = statements.map(({ sql, params }, index) => ({
    name: `sealog_ceiling_${index}`,
    text: sql,
    values: params,
  }));
  return {
    async once() {
      for (const query of queries) await client.query(query);
    },
    close: () => client.end(),
  };
}

async function loop(runner: Runner, untilMs: number): Promise<number> {
  let requests = 0;
  while (performance.now() < untilMs) {
    // SQLite's pass is synchronous: no await, so no microtask turn per request.
    const pending = runner.once();
    if (pending !== undefined) await pending;
    requests++;
  }
  return requests;
}

let runner: Runner | undefined;
process.on('message', (received) => {
  const message = received as ParentMessage;
  const work = async () => {
    if (message.type === 'job') {
      const { target, statements }: { target: StoreTarget; statements: CapturedStatement[] } = message;
      runner =
        target.store === 'sqlite'
          ? sqliteRunner(target.path, statements)
          : await postgresRunner(target.url, statements);
      await loop(runner, performance.now() + WARMUP_MS);
      answer({ type: 'ready' });
      return;
    }
    if (runner === undefined) throw new Error('go before the job');
    const started = performance.now();
    const requests = await loop(runner, started + message.seconds * 1000);
    const seconds = (performance.now() - started) / 1000;
    await runner.close();
    // Disconnecting lets the process end once the answer is out; exiting could lose it.
    answer({ type: 'done', requests, seconds }, () => {
      process.disconnect();
    });
  };
  work().catch((error: unknown) => {
    answer(
      { type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) },
      () => {
        process.exit(1);
      },
    );
  });
});
