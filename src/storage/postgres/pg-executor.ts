import { createHash } from 'node:crypto';
import pg from 'pg';
import { UnavailableError } from '../../domain/errors.js';
import { ReachabilityMonitor } from './reachability.js';

/** A value node-postgres binds: scalars and arrays of them (for unnest). */
export type PgScalar = string | number | null;
/** A parameter: a scalar, bytes (bytea) or an array of scalars. */
export type PgValue = PgScalar | Buffer | readonly PgScalar[];

/** What every repository needs of the pool: parameterized queries and a dedicated client. */
export interface PgExecutor {
  query<Row extends pg.QueryResultRow>(sql: string, params?: readonly PgValue[]): Promise<Row[]>;
}

/** Type parsers of sealog's pools: int8 (bigint) columns hold epoch ms and counts, all far below 2^53. */
export function numberParsingTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  return types;
}

/** Pool settings: see DATABASE_POOL_SIZE, DATABASE_STATEMENT_TIMEOUT, DATABASE_UNAVAILABLE_TIMEOUT. */
export interface PoolSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  unavailableTimeoutMs: number;
}

const UNREACHABLE = 'the database does not answer; retry later';

/** Times PgPool.query runs a statement that PostgreSQL chose as a deadlock's victim (40P01). */
export const DEADLOCK_ATTEMPTS = 3;

/** Whether `error` is PostgreSQL's (or Citus's distributed) deadlock detection cancelling a transaction. */
function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01';
}

/**
 * A pool whose failures to reach PostgreSQL surface as UnavailableError (503), and which recovers
 * by itself: a broken connection is dropped and the next query opens a new one. A database that
 * goes silent is noticed within DATABASE_UNAVAILABLE_TIMEOUT (see ReachabilityMonitor); until it
 * answers again, queries fail at once.
 */
export class PgPool implements PgExecutor {
  readonly pool: pg.Pool;
  private readonly reachability: ReachabilityMonitor;

  constructor(settings: PoolSettings) {
    this.reachability = new ReachabilityMonitor(settings);
    this.pool = new pg.Pool({
      connectionString: settings.url,
      max: settings.poolSize,
      statement_timeout: settings.statementTimeoutMs,
      // The last resort if the monitor is wrong: no query outlives its statement timeout by much.
      query_timeout: settings.statementTimeoutMs + 5_000,
      // Also how long a query waits for a free connection of a busy pool.
      connectionTimeoutMillis: settings.unavailableTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      stream: this.reachability.openSocket,
      types: numberParsingTypes(),
    });
    // An idle connection that breaks (the server restarted) is removed from the pool; without a
    // listener the 'error' event would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Connections of the pool: checked out, idle, and queries waiting for one. */
  usage(): { inUse: number; idle: number; waiting: number } {
    const { totalCount, idleCount, waitingCount } = this.pool;
    return { inUse: totalCount - idleCount, idle: idleCount, waiting: waitingCount };
  }

  /** Resolves once PostgreSQL answered a probe; throws UnavailableError when it does not. */
  async ping(): Promise<void> {
    this.reachability.start();
    if (!(await this.reachability.probe())) throw new UnavailableError(UNREACHABLE);
  }

  /** Fails at once while the database is known to be unreachable. */
  private ensureReachable(): void {
    this.reachability.start();
    if (this.reachability.isUnreachable) throw new UnavailableError(UNREACHABLE);
  }

  /**
   * Runs `sql` as a named prepared statement: each connection parses and plans it once, then only
   * binds and executes it (PostgreSQL re-plans an unnamed statement on every call, which cost more
   * than a page's query itself on the partitioned tables). The texts come from code, never from
   * input, so a connection holds a bounded number of them.
   */
  async query<Row extends pg.QueryResultRow>(sql: string, params: readonly PgValue[] = []): Promise<Row[]> {
    this.ensureReachable();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.pool.query<Row>({
          name: statementName(sql),
          text: sql,
          values: params as unknown[],
        });
        return result.rows;
      } catch (error) {
        // A deadlock victim's statement was its whole transaction, rolled back: running it again is
        // safe, and the other side has gone on (seen on Citus: a status update against a partition
        // being made, whose locks Citus takes partition first).
        if (isDeadlock(error) && attempt < DEADLOCK_ATTEMPTS) continue;
        throw asUnavailable(error);
      }
    }
  }

  /** Runs `work` on one connection (for session-level locks and transactions), released after. */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.ensureReachable();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asUnavailable(error);
    }
    let broken: unknown;
    // The pool listens for errors of idle clients only: a checked-out client whose connection
    // breaks (a protocol error after a partition heals) would otherwise crash the process. Its
    // query rejects all the same.
    const ignore = () => undefined;
    client.on('error', ignore);
    try {
      return await work(client);
    } catch (error) {
      broken = isConnectionFailure(error) ? error : undefined;
      throw asUnavailable(error);
    } finally {
      client.off('error', ignore);
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back
   * when it throws (and the error passed on). `deadlockAttempts` above 1 runs it again when the
   * transaction is chosen as a deadlock's victim (40P01): only for `work` that may run twice,
   * reading nothing from outside its transaction that the first run changed.
   */
  transaction<T>(work: (db: PgExecutor) => Promise<T>, deadlockAttempts = 1): Promise<T> {
    return this.withClient(async (client) => {
      for (let attempt = 1; ; attempt++) {
        await client.query('BEGIN');
        try {
          const result = await work(executorOf(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (!isDeadlock(error) || attempt >= deadlockAttempts) throw error;
        }
      }
    });
  }

  /** Ends every connection; closing twice is harmless. */
  async close(): Promise<void> {
    this.reachability.stop();
    if (this.pool.ended) return;
    await this.pool.end();
  }
}

const STATEMENT_NAMES = new Map<string, string>();

/** A name for `sql` that no other text shares: node-postgres refuses one name for two texts. */
function statementName(sql: string): string {
  let name = STATEMENT_NAMES.get(sql);
  if (name === undefined) {
    name = `sealog_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    STATEMENT_NAMES.set(sql, name);
  }
  return name;
}

/** One connection as a PgExecutor, e.g. to run partition upkeep on a migration's connection. */
export function executorOf(client: pg.ClientBase): PgExecutor {
  return {
    async query<Row extends pg.QueryResultRow>(sql: string, params: readonly PgValue[] = []) {
      return (await client.query<Row>(sql, params as unknown[])).rows;
    },
  };
}

/**
 * Runs `work` on a connection of its own, outside the pool and without its timeouts (connecting
 * still gives up after 5 s): migrations wait for another instance's migration lock and backfill
 * whole tables, which may take far longer than any request may. Failures to reach the database
 * become UnavailableError, as in the pool.
 */
export async function withUntimedClient<T>(
  url: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    types: numberParsingTypes(),
  });
  // A connection that breaks while idle between queries reports it here, not as a crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw asUnavailable(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SQLSTATE classes and codes meaning "the database cannot answer now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH…
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection is closed/i.test(
    error.message,
  );
}

/**
 * Turns connection failures and cancelled statements into UnavailableError (503: retry later);
 * any other error (a bug) passes through unchanged and becomes a 500.
 */
export function asUnavailable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if ((error as { code?: unknown }).code === '57014') {
    return new UnavailableError(
      'the query took longer than DATABASE_STATEMENT_TIMEOUT allows; narrow the filters or retry later',
      'timeout',
    );
  }
  if (isConnectionFailure(error)) return new UnavailableError(UNREACHABLE);
  return error;
}
