import { tallySpecs } from '../../../kinds/log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import { ingestFunctionSignature } from './tenant-ingest.js';

/**
 * The tables every tenant's requests read and write, beside each kind's own (its log table, id
 * claims, dependents, tallies and volume): distributed by tenant_id with them, so that one tenant's
 * rows of all of them sit on one worker and its statements run there whole.
 */
const TENANT_TABLES = [
  'subject_keys',
  'retention_overrides',
  'purge_reports',
  'integrity_logs',
  'integrity_leaves',
  'integrity_tiles',
  'integrity_checkpoints',
  'integrity_pruned',
] as const;

/**
 * Small tables of the whole deployment that statements on distributed tables join with or that
 * every node may need: reference tables, a copy on every node.
 */
const REFERENCE_TABLES = ['master_keys', 'integrity_identity'] as const;

/**
 * How sealog's PostgreSQL schema lies on a Citus cluster: the first table starts sealog's
 * co-location group, every other distributed one joins it. Tables in neither list stay plain
 * tables on the coordinator (Tuya tokens and nonces, console sessions, streams, leases, the
 * integrity log's cursor, erasure journal and schema_migrations): keyed by something other than a
 * tenant, written by one statement per request or by background jobs on the coordinator, and
 * never joined with a tenant's rows in one statement.
 */
export interface CitusLayout {
  /** Distributed by tenant_id, co-located, in the order they are distributed (parents first). */
  distributed: string[];
  reference: string[];
  /**
   * Functions delegated to the worker holding their tenant: name(signature) → tenant argument.
   * `forced`: delegated inside a transaction block too (force_delegation), where the function
   * touches no other tenant's rows.
   */
  delegated: { signature: string; tenantArgument: string; colocateWith: string; forced: boolean }[];
  /**
   * Functions whose DDL must run shard by shard (citus.multi_shard_modify_mode = sequential):
   * creating or dropping a partition after touching many shards in one transaction deadlocks
   * otherwise (40P01).
   */
  sequential: string[];
}

/** The layout of this version of sealog, read from the kinds' descriptions. */
export function citusLayout(): CitusLayout {
  const kindTables = LOG_TABLES.flatMap((table) => [
    table.table,
    table.keysTable,
    ...(table.dependentTables ?? []),
    ...tallySpecs(table).map((tally) => tally.table),
  ]);
  return {
    distributed: [...new Set([...kindTables, ...TENANT_TABLES])],
    reference: [...REFERENCE_TABLES],
    delegated: [
      {
        signature: 'sealog_count_content_matches(text, text, integer)',
        tenantArgument: 'p_tenant',
        colocateWith: 'operate_logs',
        forced: false,
      },
      // Ingest (tenant-ingest.ts): made by the distribution itself, from the kinds' statements.
      ...LOG_TABLES.map((table) => ({
        signature: ingestFunctionSignature(table),
        tenantArgument: 'p_tenant',
        colocateWith: table.table,
        forced: true,
      })),
    ],
    sequential: ['sealog_add_partition(text, text, text, bigint, bigint)', 'sealog_drop_partition(text)'],
  };
}
