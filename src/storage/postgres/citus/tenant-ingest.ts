import type { StoredOutcome } from '../../../domain/after-commit.js';
import { storedColumns, type LogRow, type LogTable } from '../../../kinds/log-table.js';
import type { StoredSubjectKey } from '../../../sealing/subject-key-ring.js';
import { DEADLOCK_ATTEMPTS, type PgPool, type PgScalar, type PgValue } from '../pg-executor.js';
import { SUBJECT_KEY_COLUMNS, subjectKeysCteOver } from '../subject-key-repository.js';
import { outcomeWithout, type PgTableAccess } from '../table-access.js';

/** Bytes of one leaf hash in a batch's leaf hashes. */
const HASH_BYTES = 32;

/**
 * The coordinator-local table a routed batch's transaction holds RowExclusiveLock on until it has
 * committed everywhere: the mark the integrity sequencer waits on (worker-commit-wait.ts).
 */
export const INGEST_MARK_TABLE = 'integrity_cursor';

/** The function storing one tenant's part of a `table` batch on the worker holding the tenant. */
export function ingestFunctionName(table: LogTable): string {
  return `sealog_ingest_${table.table}`;
}

/** The SQL argument types of the ingest function, after the tenant: columns, subject keys, hashes, txid. */
function argumentTypes(table: LogTable): string[] {
  return [
    ...storedColumns(table).map(([, type]) => `${type}[]`),
    ...SUBJECT_KEY_COLUMNS.map(([, type]) => `${type}[]`),
    'bytea',
    'xid8',
  ];
}

/** `name(text, …)`: the signature create_distributed_function takes. */
export function ingestFunctionSignature(table: LogTable): string {
  return `${ingestFunctionName(table)}(text, ${argumentTypes(table).join(', ')})`;
}

/**
 * `CREATE OR REPLACE FUNCTION` of `table`'s ingest function: the batch statement of the plain
 * PostgreSQL path (PgTableAccess.insertStatement, same CTEs, same tallies), run on the tenant's
 * shards. Citus delegates a call to the worker holding the tenant (create_distributed_function
 * with force_delegation, distributed by `p_tenant`); there the statement writes the shard tables
 * themselves, named by shard_name(), so it is planned and run as plain PostgreSQL: no Citus
 * planning of a multi-statement INSERT … SELECT, nothing pulled through the coordinator. Called
 * anywhere else (a coordinator without the shards), it fails: the shard tables are not there.
 * `txid` is the coordinator's transaction, kept in the claims so that the integrity log numbers
 * writes by one clock. distributeOnCitus gives it the migration's search path.
 */
export function ingestFunctionDdl(access: PgTableAccess<LogRow>): string {
  const table = access.spec;
  const types = argumentTypes(table);
  const columns = storedColumns(table).length;
  const placeholder = (n: number) => `$${n}::${types[n - 1] ?? ''}`;
  const statement = access.insertStatement(
    access.inputCteOver(Array.from({ length: columns }, (_, i) => placeholder(i + 1))),
    subjectKeysCteOver(SUBJECT_KEY_COLUMNS.map((_, i) => placeholder(columns + i + 1))),
    placeholder(types.length - 1),
    placeholder(types.length),
  );
  // Every table the statement writes becomes format()'s %n$s: that tenant's shard of it.
  const written = [...new Set([...statement.matchAll(/INSERT INTO (\w+)/g)].map((match) => match[1] ?? ''))];
  const onShards = statement
    .replaceAll('%', '%%')
    .replace(/INSERT INTO (\w+)/g, (_, name: string) => `INSERT INTO %${written.indexOf(name) + 1}$s`);
  const shards = written.map(
    (name) => `shard_name('${name}'::regclass, get_shard_id_for_distribution_column('${name}', p_tenant))`,
  );
  const parameters = types.map((type, i) => `a${i + 1} ${type}`).join(', ');
  const using = types.map((_, i) => `a${i + 1}`).join(', ');
  return `CREATE OR REPLACE FUNCTION ${ingestFunctionName(table)}(p_tenant text, ${parameters})
    RETURNS SETOF integer LANGUAGE plpgsql AS $ingest$
    BEGIN
      RETURN QUERY EXECUTE format($statement$${onShards}$statement$, ${shards.join(', ')}) USING ${using};
    END $ingest$`;
}

/**
 * Stores batches on Citus tenant by tenant: one call of the kind's ingest function per tenant,
 * each run whole on the worker holding that tenant's shards, all in one coordinator transaction
 * (so a batch is still all or nothing: two-phase commit when it spans workers). Tenants go in
 * one order (sorted), so concurrent batches lock the same tenants' rows in the same order.
 */
export class TenantIngest {
  constructor(
    private readonly pool: PgPool,
    /** Whether the database is a Citus coordinator (citusDetector): only there are batches routed. */
    readonly applies: () => Promise<boolean>,
  ) {}

  /** Like PgTableAccess.insertMany, through the tenants' ingest functions. */
  async insertMany<Row extends LogRow>(
    access: PgTableAccess<Row>,
    rows: readonly Row[],
    subjectKeys: readonly StoredSubjectKey[],
    leafHashes?: Buffer,
  ): Promise<StoredOutcome> {
    if (rows.length === 0) return { ids: [], duplicates: [], stored: [] };
    access.preparePartitions(rows);
    const byTenant = new Map<string, number[]>();
    rows.forEach((row, position) => {
      const positions = byTenant.get(row.tenant_id);
      if (positions === undefined) byTenant.set(row.tenant_id, [position]);
      else positions.push(position);
    });
    const tenants = [...byTenant.keys()].sort();
    const call = `SELECT position FROM ${ingestFunctionName(access.spec)}(${[
      '$1',
      ...argumentTypes(access.spec).map((type, i) => `$${i + 2}::${type}`),
    ].join(', ')}) AS position`;
    const skipped = await this.pool.transaction(async (db) => {
      // The lock sealog_add_partition holds (exclusively) while it makes a partition. The calls
      // write the shards without locking the coordinator's log table, so the function's LOCK
      // would not keep them from writing rows of the month into the default partition while it
      // moves them: routed batches hold it shared. Never waited for: while a partition is being
      // made, each tenant's part takes the coordinator's plan instead, which waits on the table
      // lock as on one server.
      const [writer] = await db.query<{ txid: string; free: boolean }>(
        `SELECT pg_current_xact_id()::text AS txid,
                pg_try_advisory_xact_lock_shared(hashtext('sealog partitions ' || current_schema())) AS free`,
      );
      // Marks this transaction as a writer of claims for the integrity sequencer, which waits for
      // such writers still committing on the workers (worker-commit-wait.ts): the delegated calls
      // lock nothing on the coordinator themselves. RowExclusiveLock on a coordinator-local table
      // blocks no reader and no row update.
      await db.query(`LOCK TABLE ${INGEST_MARK_TABLE} IN ROW EXCLUSIVE MODE`);
      const notStored: number[] = [];
      // Tenant by tenant in one order, either way: concurrent batches lock the same tenants' rows
      // (their tallies) in the same order, so they wait for each other rather than deadlock.
      for (const tenant of tenants) {
        const positions = byTenant.get(tenant) ?? [];
        const part = partOf(positions, rows, subjectKeys, tenant, leafHashes);
        const skippedHere =
          writer?.free === true
            ? (
                await db.query<{ position: number }>(call, [...callParams(access.spec, part), writer.txid])
              ).map(({ position }) => position - 1)
            : await access.insertSkipped(part.rows, part.keys, part.leafHashes, db);
        for (const index of skippedHere) notStored.push(positions[index] ?? -1);
      }
      return notStored;
      // Run again when cancelled as a deadlock's victim: it was rolled back whole, and reads
      // nothing but its input.
    }, DEADLOCK_ATTEMPTS);
    return outcomeWithout(rows, skipped);
  }
}

/** One tenant's part of a batch: its rows, the subject keys sealing them, their leaf hashes. */
interface TenantPart<Row extends LogRow> {
  tenant: string;
  rows: Row[];
  keys: StoredSubjectKey[];
  leafHashes: Buffer | undefined;
}

/** The part of a batch at `positions` (all of `tenant`'s rows), with its keys and leaf hashes. */
function partOf<Row extends LogRow>(
  positions: readonly number[],
  rows: readonly Row[],
  subjectKeys: readonly StoredSubjectKey[],
  tenant: string,
  leafHashes: Buffer | undefined,
): TenantPart<Row> {
  return {
    tenant,
    rows: positions.map((position) => rows[position] as Row),
    keys: subjectKeys.filter((key) => key.tenant_id === tenant),
    leafHashes:
      leafHashes === undefined
        ? undefined
        : Buffer.concat(
            positions.map((position) =>
              leafHashes.subarray(position * HASH_BYTES, (position + 1) * HASH_BYTES),
            ),
          ),
  };
}

/**
 * The ingest function's arguments for `part`, but the last (the writing transaction): the tenant,
 * each column's values, its subject keys' columns, and the rows' leaf hashes.
 */
function callParams<Row extends LogRow>(table: LogTable<Row>, part: TenantPart<Row>): PgValue[] {
  const rows = part.rows as unknown as Record<string, PgScalar>[];
  return [
    part.tenant,
    ...storedColumns(table).map(([column]) => rows.map((row) => row[column] ?? null)),
    ...SUBJECT_KEY_COLUMNS.map(([column]) => part.keys.map((key) => key[column])),
    part.leafHashes ?? null,
  ];
}
