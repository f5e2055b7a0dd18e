import pg from 'pg';
import { UnavailableError } from '../../../domain/errors.js';
import type { LogIdentity } from '../../../integrity/integrity-log.js';
import { HISTORY_COLUMNS } from '../../../integrity/leaves/leaf-builder.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import type { LogRow } from '../../../kinds/log-table.js';
import { LOG_TABLES, logTableOfKind } from '../../../kinds/log-tables.js';
import type { RecordedMasterKey } from '../../../sealing/master-key-check.js';
import type { RawCheckpoint, RawLeafBatch } from '../../log-transfer.js';
import { PartitionKeeper } from '../partitions.js';
import { executorOf, numberParsingTypes } from '../pg-executor.js';
import { SqlBuilder } from '../sql-fragments.js';
import { subjectKeysCte } from '../subject-key-repository.js';
import { PgTableAccess } from '../table-access.js';
import { talliedCtes } from '../tally-writes.js';

/** The target cannot take a batch as it is: its log or rows are not what the copy left them. */
export class ImportConflictError extends Error {
  constructor(log: LogId, problem: string) {
    super(`the target's ${log.kind} log of tenant ${JSON.stringify(log.tenantId)} ${problem}`);
    this.name = 'ImportConflictError';
  }
}

const BIGINT_HISTORY = new Set(['sent_at', 'changed_at', 'prev_sent_at', 'prev_updated_at']);

/**
 * Writes logs into a PostgreSQL store exactly as another store kept them (see log-transfer.ts), on
 * a connection of its own: each batch of leaves with its rows, subject keys and leaf numbers in one
 * transaction. Copied claims and transitions carry no txid (like rows from before the integrity
 * log, once their backfill is done), so the sequencer neither numbers them again nor scans them:
 * their leaves come with them, under the log's row lock, after checking the log is where the copy
 * left it.
 */
export class PgLogImport {
  private readonly partitions: PartitionKeeper;

  private constructor(private readonly client: pg.Client) {
    this.partitions = new PartitionKeeper(undefined);
  }

  /**
   * Connects to the store at `url` (its schema as the URL's search_path names it). Throws
   * UnavailableError, naming the host but not the password, when the database does not answer.
   */
  static async connect(url: string): Promise<PgLogImport> {
    const client = new pg.Client({
      connectionString: url,
      types: numberParsingTypes(),
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      const { hostname, port } = new URL(url);
      throw new UnavailableError(
        `PostgreSQL at ${hostname || 'localhost'}:${port || '5432'} does not answer (${(error as Error).message}): check the URL and that the database runs`,
      );
    }
    return new PgLogImport(client);
  }

  /** The master keys the store records; none when its schema is not made yet. */
  async recordedMasterKeys(): Promise<RecordedMasterKey[]> {
    const exists = await this.rows<{ table: string | null }>(
      "SELECT to_regclass('master_keys')::text AS table",
    );
    if (exists[0]?.table == null) return [];
    return this.rows<RecordedMasterKey>('SELECT id, fingerprint FROM master_keys ORDER BY id');
  }

  /** Records master keys that wrapped copied subject keys (once each). */
  async recordMasterKeys(keys: readonly RecordedMasterKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.rows(
      `INSERT INTO master_keys (id, fingerprint) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      [keys.map((key) => key.id), keys.map((key) => key.fingerprint)],
    );
  }

  /** Whether the rows from before the integrity log are all numbered (a copy must not race that). */
  async backfillDone(): Promise<boolean> {
    const [row] = await this.rows<{ pending: number }>(
      'SELECT count(*)::integer AS pending FROM integrity_backfill WHERE NOT done',
    );
    return row?.pending === 0;
  }

  /** The identity recorded, or `identity` recorded now when there is none; returns the one recorded. */
  async claimIdentity(identity: LogIdentity): Promise<LogIdentity> {
    await this.rows(
      'INSERT INTO integrity_identity (id, origin_prefix, public_key) VALUES (1, $1, $2) ON CONFLICT DO NOTHING',
      [identity.originPrefix, identity.publicKey],
    );
    const [row] = await this.rows<LogIdentity>(
      'SELECT origin_prefix AS "originPrefix", public_key AS "publicKey" FROM integrity_identity',
    );
    return row ?? identity;
  }

  /** Rows (records, and a communication log's transitions) of `kind` each of `tenants` holds. */
  async rowCounts(kind: string, tenants: readonly string[]): Promise<Map<string, number>> {
    const table = logTableOfKind(kind);
    const transitions =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? 'UNION ALL SELECT tenant_id FROM communication_log_transitions WHERE tenant_id = ANY($1::text[])'
        : '';
    const rows = await this.rows<{ tenant_id: string; rows: number }>(
      `SELECT tenant_id, count(*)::bigint AS rows FROM (
         SELECT tenant_id FROM ${table.keysTable} WHERE tenant_id = ANY($1::text[]) ${transitions}
       ) AS stored GROUP BY tenant_id`,
      [[...tenants]],
    );
    return new Map(rows.map((row) => [row.tenant_id, row.rows]));
  }

  /**
   * Stores `batch` in one transaction: its subject keys, records, the new state of the logs its
   * transitions move, its transitions and its leaves, then the log's count. Throws
   * ImportConflictError, storing nothing, when the log does not have exactly `batch.start` leaves
   * (another writer numbered leaves into it), a record is stored already, or a transition would
   * not be its log's `transition`-th.
   */
  async importBatch(batch: RawLeafBatch): Promise<void> {
    const { log } = batch;
    const table = logTableOfKind(log.kind);
    const time = table.timeColumn;
    // Before the batch's transaction: each partition is a transaction of its own.
    await this.partitions.ensure(
      batch.records.map((record) => Number(record[time])),
      executorOf(this.client),
    );
    await this.transaction(async () => {
      await this.rows(
        `INSERT INTO integrity_logs (tenant_id, kind, assigned, tree_size, root)
         VALUES ($1, $2, 0, 0, sha256('')) ON CONFLICT DO NOTHING`,
        [log.tenantId, log.kind],
      );
      const [state] = await this.rows<{ assigned: number }>(
        'SELECT assigned FROM integrity_logs WHERE tenant_id = $1 AND kind = $2 FOR UPDATE',
        [log.tenantId, log.kind],
      );
      if (state?.assigned !== batch.start) {
        throw new ImportConflictError(
          log,
          `has ${state?.assigned ?? 0} leaves where the copy left ${batch.start}: something else writes to it`,
        );
      }
      await this.storeRecords(batch);
      if (table.table === COMMUNICATION_LOG_TABLE.table) await this.storeHistory(batch);
      const { leaves } = batch;
      await this.rows(
        `INSERT INTO integrity_leaves (tenant_id, kind, leaf_index, record_id, transition)
         SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::integer[])`,
        [
          log.tenantId,
          log.kind,
          leaves.map((leaf) => leaf.leafIndex),
          leaves.map((leaf) => leaf.recordId),
          leaves.map((leaf) => leaf.transition),
        ],
      );
      await this.rows('UPDATE integrity_logs SET assigned = $3 WHERE tenant_id = $1 AND kind = $2', [
        log.tenantId,
        log.kind,
        batch.start + leaves.length,
      ]);
    });
  }

  /** The batch's subject keys and records, each record's claim without a txid. */
  private async storeRecords(batch: RawLeafBatch): Promise<void> {
    const table = logTableOfKind(batch.log.kind);
    const access = new PgTableAccess<LogRow>(executorOf(this.client), this.partitions, table);
    const sql = new SqlBuilder();
    const ctes = [access.inputCte(batch.records, sql), ...subjectKeysCte(batch.subjectKeys, sql)];
    const time = `"${table.timeColumn}"`;
    const [stored] = await this.rows<{ count: number }>(
      `WITH ${ctes.join(', ')},
       claimed AS (
         INSERT INTO ${table.keysTable} (tenant_id, id, ${time}, txid)
         SELECT tenant_id, id, ${time}, NULL FROM input ON CONFLICT DO NOTHING RETURNING tenant_id, id),
       ${access.storeCte()}
       SELECT count(*)::integer AS count FROM stored`,
      sql.params,
    );
    if ((stored?.count ?? 0) !== batch.records.length) {
      throw new ImportConflictError(
        batch.log,
        `holds ${batch.records.length - (stored?.count ?? 0)} of the records of leaves ${batch.start}… already, in no leaf of the copy`,
      );
    }
  }

  /** The batch's transitions, in leaf order, and the logs they move set to their state after it. */
  private async storeHistory(batch: RawLeafBatch): Promise<void> {
    const { log, moved, transitions } = batch;
    if (moved.length > 0) {
      // Compare-and-set on the status read first, so the tallies move from the status replaced;
      // a log another writer moves meanwhile is not updated, and the copy stops on the conflict.
      const updated = await this.rows(
        `WITH old AS (
           SELECT c.id, c.created_at, c.status
             FROM unnest($2::text[]) AS u(id)
             JOIN communication_log_keys k ON k.tenant_id = $1 AND k.id = u.id
             JOIN communication_logs c ON c.tenant_id = $1 AND c.id = u.id AND c.created_at = k.created_at),
         moved AS (
           UPDATE communication_logs c
              SET status = u.status, error = u.error, response = u.response, sent_at = u.sent_at,
                  updated_at = u.updated_at
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
                    AS u(id, status, error, response, sent_at, updated_at)
             JOIN old ON old.id = u.id
            WHERE c.tenant_id = $1 AND c.id = u.id AND c.created_at = old.created_at AND c.status = old.status
           RETURNING c.tenant_id, c.channel, c.created_at, c.status, old.status AS old_status),
         moves AS (
           SELECT tenant_id, channel, created_at, status, 1 AS delta FROM moved
           UNION ALL SELECT tenant_id, channel, created_at, old_status, -1 FROM moved),
         ${talliedCtes(COMMUNICATION_LOG_TABLE, 'moves', 'delta').join(',\n')}
         SELECT 1 FROM moved`,
        [
          log.tenantId,
          moved.map((state) => state.id),
          moved.map((state) => state.status),
          moved.map((state) => state.error),
          moved.map((state) => state.response),
          moved.map((state) => state.sent_at),
          moved.map((state) => state.updated_at),
        ],
      );
      if (updated.length !== moved.length) {
        throw new ImportConflictError(log, 'lacks a communication log whose transitions the copy brings');
      }
    }
    if (transitions.length === 0) return;
    const ids = [...new Set(transitions.map((transition) => transition.log_id))];
    const counts = new Map(
      (
        await this.rows<{ log_id: string; count: number }>(
          `SELECT log_id, count(*)::integer AS count FROM communication_log_transitions
            WHERE tenant_id = $1 AND log_id = ANY($2::text[]) GROUP BY log_id`,
          [log.tenantId, ids],
        )
      ).map((row) => [row.log_id, row.count]),
    );
    for (const leaf of batch.leaves) {
      if (leaf.transition === 0) continue;
      const rank = (counts.get(leaf.recordId) ?? 0) + 1;
      if (rank !== leaf.transition) {
        throw new ImportConflictError(
          log,
          `holds ${rank - 1} transitions of ${leaf.recordId} where the copy brings transition ${leaf.transition}`,
        );
      }
      counts.set(leaf.recordId, rank);
    }
    const sql = new SqlBuilder();
    const arrays = HISTORY_COLUMNS.map(
      (column) =>
        `${sql.bind(transitions.map((transition) => transition[column]))}::${BIGINT_HISTORY.has(column) ? 'bigint' : 'text'}[]`,
    );
    const columns = HISTORY_COLUMNS.join(', ');
    // In leaf order: seq follows it, so each transition's rank (by seq) is its leaf's.
    await this.rows(
      `INSERT INTO communication_log_transitions (${columns}, txid)
       SELECT ${HISTORY_COLUMNS.map((column) => `h.${column}`).join(', ')}, NULL
         FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS h(${columns}, position)
        ORDER BY h.position`,
      sql.params,
    );
  }

  /**
   * Stores `checkpoints` of `log` with their outbox state, those of a size stored already left as
   * they are; returns how many were new. Throws ImportConflictError for a stored checkpoint of the
   * same size stating another root (a fork).
   */
  async importCheckpoints(log: LogId, checkpoints: readonly RawCheckpoint[]): Promise<number> {
    if (checkpoints.length === 0) return 0;
    const column = (pick: (checkpoint: RawCheckpoint) => unknown) => checkpoints.map(pick);
    const inserted = await this.rows(
      `INSERT INTO integrity_checkpoints (tenant_id, kind, tree_size, root, note, signed_at, dir_published,
                                         url_published, url_attempts, url_next_at)
       SELECT $1, $2, * FROM unnest($3::bigint[], $4::bytea[], $5::text[], $6::bigint[], $7::boolean[],
                                    $8::boolean[], $9::integer[], $10::bigint[])
       ON CONFLICT (tenant_id, kind, tree_size) DO NOTHING RETURNING 1`,
      [
        log.tenantId,
        log.kind,
        column((checkpoint) => checkpoint.treeSize),
        column((checkpoint) => checkpoint.root),
        column((checkpoint) => checkpoint.note),
        column((checkpoint) => checkpoint.signedAt),
        column((checkpoint) => checkpoint.dirPublished),
        column((checkpoint) => checkpoint.urlPublished),
        column((checkpoint) => checkpoint.urlAttempts),
        column((checkpoint) => checkpoint.urlNextAt),
      ],
    );
    const differing = await this.rows<{ tree_size: number }>(
      `SELECT c.tree_size FROM integrity_checkpoints c
         JOIN unnest($3::bigint[], $4::bytea[]) AS copied(tree_size, root) ON copied.tree_size = c.tree_size
        WHERE c.tenant_id = $1 AND c.kind = $2 AND c.root <> copied.root`,
      [
        log.tenantId,
        log.kind,
        column((checkpoint) => checkpoint.treeSize),
        column((checkpoint) => checkpoint.root),
      ],
    );
    if (differing.length > 0) {
      throw new ImportConflictError(
        log,
        `holds a checkpoint of size ${differing[0]?.tree_size} stating another root than the source's`,
      );
    }
    return inserted.length;
  }

  /**
   * Refreshes the planner's statistics of every table a copy writes. A fresh target's tables grow
   * from empty during a copy, and plans made for empty tables (every connection caches its
   * prepared statements' plans) scan what has become millions of rows; ANALYZE replaces the
   * statistics and so the plans. Samples a bounded number of rows per table.
   */
  async analyze(): Promise<void> {
    const logTables = LOG_TABLES.flatMap((table) => [
      table.table,
      table.keysTable,
      ...(table.dependentTables ?? []),
    ]);
    await this.rows(
      `ANALYZE ${[...logTables, 'subject_keys', 'integrity_logs', 'integrity_leaves', 'integrity_tiles'].join(', ')}`,
    );
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async rows<Row extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    return (await this.client.query<Row>(sql, params as unknown[])).rows;
  }

  private async transaction(work: () => Promise<void>): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await work();
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
