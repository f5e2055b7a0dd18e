import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** Longest a numbering pass waits for writers still committing on the workers, in ms. */
export const WORKER_COMMIT_WAIT_MS = 20_000;

/** First and longest pause between two looks at the writers, in ms. */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 100;

/** A coordinator backend seen committing: the same pid in the same transaction. */
interface Committing {
  pid: number;
  started: string;
}

/**
 * Waits until every coordinator writer of `tables` that was in its commit when this is called
 * has finished committing on the workers; `client` is inside the transaction whose snapshot gave
 * the horizon, before any statement reached a worker (a worker's snapshot is taken by the first
 * statement sent to it, so after this wait it shows those writes). True when they all finished,
 * false when some were still committing after `capMs` (the caller then leaves its cursor where it
 * is, so nothing is skipped).
 *
 * Why: a transaction writing to shards on several workers commits with two-phase commit. Citus
 * commits the coordinator's transaction first, so its xid leaves the coordinator's snapshots,
 * and only then sends COMMIT PREPARED to each worker. A horizon taken on the coordinator can
 * therefore pass a write that a worker does not show yet. Such a writer still holds its locks
 * (they are released after the commit callbacks) but has no xid any more: a backend holding
 * RowExclusiveLock on one of `tables` without an xid. Writers that still have an xid are above
 * the horizon; a writer that has not yet taken its xid gets one above the horizon; readers hold
 * no RowExclusiveLock. So the wait is on committing writes only, never on long reads.
 */
export async function awaitWorkerCommits(
  client: pg.ClientBase,
  tables: readonly string[],
  capMs: number = WORKER_COMMIT_WAIT_MS,
): Promise<boolean> {
  const deadline = Date.now() + capMs;
  let waiting = await committingWriters(client, tables);
  let pause = FIRST_POLL_MS;
  while (waiting.length > 0) {
    if (Date.now() >= deadline) return false;
    await sleep(pause);
    pause = Math.min(pause * 2, LONGEST_POLL_MS);
    const now = new Set((await committingWriters(client, tables)).map(keyOf));
    waiting = waiting.filter((writer) => now.has(keyOf(writer)));
  }
  return true;
}

function keyOf(writer: Committing): string {
  return `${writer.pid}@${writer.started}`;
}

/**
 * The other backends of this database holding RowExclusiveLock on one of `tables` without an xid.
 * pg_stat_activity is read from a snapshot kept until the transaction ends unless cleared, so it
 * is cleared first: each look sees the backends as they are.
 */
async function committingWriters(client: pg.ClientBase, tables: readonly string[]): Promise<Committing[]> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<Committing>(
    `SELECT DISTINCT a.pid, a.xact_start::text AS started
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'RowExclusiveLock'
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.relation IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
        AND a.pid <> pg_backend_pid() AND a.backend_xid IS NULL AND a.xact_start IS NOT NULL`,
    [tables],
  );
  return rows;
}
