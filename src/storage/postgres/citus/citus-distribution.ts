import type pg from 'pg';
import type { LogRow } from '../../../kinds/log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import { PartitionKeeper } from '../partitions.js';
import { executorOf, type PgExecutor } from '../pg-executor.js';
import { PgTableAccess } from '../table-access.js';
import { ingestFunctionDdl } from './tenant-ingest.js';
import { citusLayout } from './citus-layout.js';

/** What distributing the schema on a Citus coordinator did. */
export interface CitusDistribution {
  /** The Citus version the coordinator runs, e.g. `13.2-1`. */
  version: string;
  /** Tables distributed by this call, in order, with the rows each held (copied to the shards). */
  distributed: { table: string; rows: number; ms: number }[];
  /** Tables made reference tables by this call. */
  reference: string[];
}

/**
 * Rows a migration distributes in place on its own (seconds of copying); a schema holding more
 * waits for `sealog migrate --citus`, so that a server start never locks tables for minutes.
 */
export const AUTO_IN_PLACE_ROWS = 100_000;

/**
 * Whether `db` is a database with the citus extension, asked once per call of the function this
 * returns (then remembered): readers whose statements Citus could not push down take another path.
 */
export function citusDetector(db: PgExecutor): () => Promise<boolean> {
  let present: Promise<boolean> | undefined;
  return () => {
    present ??= db
      .query<{ present: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS present",
      )
      .then(([row]) => row?.present === true)
      .catch((error: unknown) => {
        present = undefined;
        throw error;
      });
    return present;
  };
}

/** A schema on a Citus cluster that cannot be distributed as sealog needs, and what to do. */
export class CitusSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CitusSetupError';
  }
}

/** Options of distributeOnCitus. */
export interface CitusOptions {
  /**
   * Distribute tables however many rows they hold, copying them to the shards while each table is
   * locked (`sealog migrate --citus`). Without it, more than AUTO_IN_PLACE_ROWS rows to copy stop
   * the migration with an error saying so: a server start must never lock tables for minutes.
   */
  inPlace?: boolean | undefined;
  /** Hears of each step (a table about to be distributed, with its rows), for progress output. */
  onStep?: ((message: string) => void) | undefined;
}

/**
 * Lays sealog's schema (the search path's) out on Citus as citusLayout() says, when the database
 * has the citus extension; undefined on plain PostgreSQL. Idempotent: what is distributed already
 * stays. Runs on `client`, a connection without statement timeout: distributing a table holding
 * rows copies them. Throws CitusSetupError on a worker, or when more than AUTO_IN_PLACE_ROWS rows
 * would be copied and `inPlace` is not set (before changing anything).
 */
export async function distributeOnCitus(
  client: pg.ClientBase,
  options: CitusOptions = {},
): Promise<CitusDistribution | undefined> {
  const [extension] = (
    await client.query<{ version: string }>(
      "SELECT extversion AS version FROM pg_extension WHERE extname = 'citus'",
    )
  ).rows;
  if (extension === undefined) {
    if (options.inPlace !== true) return undefined;
    throw new CitusSetupError(
      'the database has no citus extension: install Citus and CREATE EXTENSION citus on every node first (docs/scale-out.md)',
    );
  }
  const [node] = (
    await client.query<{ coordinator: boolean }>('SELECT citus_is_coordinator() AS coordinator')
  ).rows;
  if (node?.coordinator !== true) {
    throw new CitusSetupError(
      'this database is a Citus worker (or a coordinator not yet in pg_dist_node): point DATABASE_URL at the coordinator, after citus_set_coordinator_host()',
    );
  }
  const layout = citusLayout();
  const kinds = await distributionOf(client, [...layout.distributed, ...layout.reference]);
  const pending = layout.distributed.filter((table) => !kinds.has(table));
  const rows = await rowCounts(client, pending);
  const holding = pending.filter((table) => (rows.get(table) ?? 0) > 0);
  const toCopy = holding.reduce((sum, table) => sum + (rows.get(table) ?? 0), 0);
  if (toCopy > AUTO_IN_PLACE_ROWS && options.inPlace !== true) {
    throw new CitusSetupError(
      `${holding.join(', ')} hold rows and are not distributed yet: stop sealog and run \`sealog migrate --citus\`, ` +
        'which copies them to the shards, each table locked while it is copied (docs/scale-out.md)',
    );
  }
  const distributed: CitusDistribution['distributed'] = [];
  for (const table of pending) {
    const anchor = layout.distributed.find((candidate) => kinds.get(candidate) === 'h');
    const n = rows.get(table) ?? 0;
    options.onStep?.(`distributing ${table} by tenant_id${n > 0 ? ` (${n} rows to copy)` : ''}…`);
    const started = performance.now();
    await client.query("SELECT create_distributed_table($1, 'tenant_id', colocate_with => $2)", [
      table,
      anchor ?? 'none',
    ]);
    // The coordinator's own copy of the rows, now on the shards, is left behind by Citus.
    if (n > 0) await client.query('SELECT truncate_local_data_after_distributing_table($1)', [table]);
    kinds.set(table, 'h');
    const ms = Math.round(performance.now() - started);
    // Each table's time, for an operator planning the next distribution's lock window.
    if (n > 0) options.onStep?.(`distributed ${table}: ${n} rows in ${(ms / 1000).toFixed(1)} s`);
    distributed.push({ table, rows: n, ms });
  }
  const reference: string[] = [];
  for (const table of layout.reference.filter((candidate) => !kinds.has(candidate))) {
    options.onStep?.(`making ${table} a reference table…`);
    await client.query('SELECT create_reference_table($1)', [table]);
    reference.push(table);
  }
  const [{ schema } = { schema: 'public' }] = (
    await client.query<{ schema: string }>('SELECT quote_ident(current_schema()) AS schema')
  ).rows;
  // Remade by every migration: a new version's statements replace the old.
  for (const table of LOG_TABLES) {
    const access = new PgTableAccess<LogRow>(executorOf(client), new PartitionKeeper(undefined), table);
    await client.query(ingestFunctionDdl(access));
  }
  for (const fn of layout.delegated) {
    // Citus runs a delegated function on the worker without the caller's search path.
    await client.query(`ALTER FUNCTION ${fn.signature} SET search_path = ${schema}`);
    await client.query(
      `SELECT create_distributed_function($1, distribution_arg_name => $2, colocate_with => $3,
                                          force_delegation => $4)`,
      [fn.signature, fn.tenantArgument, fn.colocateWith, fn.forced],
    );
  }
  for (const signature of layout.sequential) {
    await client.query(`ALTER FUNCTION ${signature} SET citus.multi_shard_modify_mode = 'sequential'`);
  }
  return { version: extension.version, distributed, reference };
}

/** How each of `tables` is distributed already: h (by hash), n (reference); absent: a plain table. */
async function distributionOf(
  client: pg.ClientBase,
  tables: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; method: string }>(
    `SELECT t.name, p.partmethod AS method
       FROM unnest($1::text[]) AS t(name) JOIN pg_dist_partition p ON p.logicalrelid = to_regclass(t.name)`,
    [[...tables]],
  );
  return new Map(rows.map((row) => [row.name, row.method]));
}

/** The rows each of `tables` holds (a count of each: seconds for millions of rows). */
async function rowCounts(client: pg.ClientBase, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts.set(table, Number(rows[0]?.n ?? 0));
  }
  return counts;
}
