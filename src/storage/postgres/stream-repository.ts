import type { LogId } from '../../integrity/sequencing/integrity-store.js';
import { logTableOfKind } from '../../kinds/log-tables.js';
import type { MasterKeys } from '../../sealing/master-keys.js';
import type {
  DeliveryCommit,
  DeliveryFailure,
  StoredStream,
  StreamKey,
  StreamLease,
  StreamPosition,
  StreamPut,
  StreamStore,
} from '../../streams/stream-store.js';
import { secretsContext, STREAM_COLUMNS, storedStreamOf, type StreamRow } from '../stream-rows.js';
import type { PgExecutor, PgPool } from './pg-executor.js';

/** Thrown inside a transaction to roll back a fenced write that found its lease or a position moved. */
class Refused extends Error {}

/** The log streams on PostgreSQL; every write that must be atomic is one transaction. */
export class PgStreamRepository implements StreamStore {
  constructor(
    private readonly pool: PgPool,
    private readonly masterKeys: MasterKeys,
  ) {}

  async list(owner: string | undefined): Promise<StoredStream[]> {
    const rows =
      owner === undefined
        ? await this.pool.query<StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams ORDER BY owner, name`)
        : await this.pool.query<StreamRow>(
            `SELECT ${STREAM_COLUMNS} FROM streams WHERE owner = $1 ORDER BY name`,
            [owner],
          );
    return rows.map((row) => storedStreamOf(row, this.masterKeys));
  }

  async get(key: StreamKey): Promise<StoredStream | undefined> {
    const [row] = await this.pool.query<StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams WHERE owner = $1 AND name = $2`,
      [key.owner, key.name],
    );
    return row === undefined ? undefined : storedStreamOf(row, this.masterKeys);
  }

  put(put: StreamPut, nowMs: number): Promise<boolean> {
    const secrets = this.masterKeys.sealText(secretsContext(put), put.secrets);
    const pausedReason = put.paused ? put.pausedReason : null;
    return this.pool.transaction(async (db) => {
      const [row] = await db.query<{ created: boolean }>(
        `INSERT INTO streams AS s (owner, name, definition, secrets, version, paused_reason, paused_at, caught_up_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $7, $7)
         ON CONFLICT (owner, name) DO UPDATE SET
           definition = excluded.definition, secrets = excluded.secrets, version = s.version + 1,
           paused_reason = excluded.paused_reason,
           paused_at = CASE WHEN excluded.paused_reason IS NULL THEN NULL ELSE coalesce(s.paused_at, excluded.paused_at) END,
           failing_since = NULL, updated_at = excluded.updated_at
         RETURNING (xmax = 0) AS created`,
        [
          put.owner,
          put.name,
          put.definition,
          secrets,
          pausedReason,
          pausedReason === null ? null : nowMs,
          nowMs,
        ],
      );
      const created = row?.created === true;
      if (created) await insertPositions(db, put, put.start);
      return created;
    });
  }

  delete(key: StreamKey): Promise<boolean> {
    return this.pool.transaction(async (db) => {
      await db.query('DELETE FROM stream_positions WHERE owner = $1 AND name = $2', [key.owner, key.name]);
      const gone = await db.query('DELETE FROM streams WHERE owner = $1 AND name = $2 RETURNING 1', [
        key.owner,
        key.name,
      ]);
      return gone.length === 1;
    });
  }

  async setPaused(key: StreamKey, reason: string | null, nowMs: number): Promise<boolean> {
    const changed = await this.pool.query(
      `UPDATE streams SET paused_reason = $3, paused_at = CASE WHEN $3::text IS NULL THEN NULL ELSE $4::bigint END,
         failing_since = NULL, version = version + 1, updated_at = $4
       WHERE owner = $1 AND name = $2 RETURNING 1`,
      [key.owner, key.name, reason, nowMs],
    );
    return changed.length === 1;
  }

  rewind(key: StreamKey, positions: readonly StreamPosition[], nowMs: number): Promise<boolean> {
    return fenced(this.pool, async (db) => {
      const changed = await db.query(
        `UPDATE streams SET version = version + 1, updated_at = $3, caught_up_at = $3
          WHERE owner = $1 AND name = $2 AND (paused_reason IS NOT NULL OR events_delivered = 0) RETURNING 1`,
        [key.owner, key.name, nowMs],
      );
      if (changed.length !== 1) throw new Refused();
      await db.query('DELETE FROM stream_positions WHERE owner = $1 AND name = $2', [key.owner, key.name]);
      await insertPositions(db, key, positions);
    });
  }

  positions(key: StreamKey): Promise<StreamPosition[]> {
    return this.pool.query<StreamPosition>(
      `SELECT tenant_id AS "tenantId", kind, next_leaf AS "nextLeaf" FROM stream_positions
        WHERE owner = $1 AND name = $2 ORDER BY tenant_id, kind`,
      [key.owner, key.name],
    );
  }

  async claimLease(
    key: StreamKey,
    holder: string,
    nowMs: number,
    untilMs: number,
  ): Promise<StreamLease | undefined> {
    const [lease] = await this.pool.query<StreamLease>(
      `UPDATE streams SET
         lease_token = lease_token + (CASE WHEN lease_holder IS NOT DISTINCT FROM $3 THEN 0 ELSE 1 END),
         lease_holder = $3, lease_expires_at = $5
       WHERE owner = $1 AND name = $2 AND (lease_holder IS NULL OR lease_holder = $3 OR lease_expires_at <= $4)
       RETURNING lease_token AS token, version`,
      [key.owner, key.name, holder, nowMs, untilMs],
    );
    return lease;
  }

  async releaseLease(key: StreamKey, holder: string): Promise<void> {
    await this.pool.query(
      `UPDATE streams SET lease_holder = NULL, lease_expires_at = NULL
        WHERE owner = $1 AND name = $2 AND lease_holder = $3`,
      [key.owner, key.name, holder],
    );
  }

  commitDelivery(key: StreamKey, lease: StreamLease, commit: DeliveryCommit): Promise<boolean> {
    return fenced(this.pool, async (db) => {
      // FOR UPDATE: a lease taken over while this commits waits for it, then sees the new token.
      const held = await db.query(
        `SELECT 1 FROM streams WHERE owner = $1 AND name = $2 AND lease_token = $3 AND version = $4
            AND lease_holder IS NOT NULL FOR UPDATE`,
        [key.owner, key.name, lease.token, lease.version],
      );
      if (held.length !== 1) throw new Refused();
      for (const { log, from, to } of commit.moves) {
        const moved = await db.query(
          `INSERT INTO stream_positions AS p (owner, name, tenant_id, kind, next_leaf)
           SELECT $1, $2, $3, $4, $6 WHERE $5::bigint = 0
           ON CONFLICT (owner, name, tenant_id, kind) DO UPDATE SET next_leaf = excluded.next_leaf
             WHERE p.next_leaf = $5
           RETURNING 1`,
          [key.owner, key.name, log.tenantId, log.kind, from, to],
        );
        if (moved.length === 1) continue;
        const updated = await db.query(
          `UPDATE stream_positions SET next_leaf = $6
            WHERE owner = $1 AND name = $2 AND tenant_id = $3 AND kind = $4 AND next_leaf = $5 RETURNING 1`,
          [key.owner, key.name, log.tenantId, log.kind, from, to],
        );
        if (updated.length !== 1) throw new Refused();
      }
      await db.query(
        `UPDATE streams SET events_delivered = events_delivered + $3, bytes_delivered = bytes_delivered + $4,
           last_success_at = $5, failing_since = NULL,
           caught_up_at = coalesce($6::bigint, caught_up_at)
         WHERE owner = $1 AND name = $2`,
        [key.owner, key.name, commit.events, commit.bytes, commit.nowMs, commit.caughtUpAt],
      );
    });
  }

  recordFailure(key: StreamKey, lease: StreamLease, failure: DeliveryFailure): Promise<boolean> {
    return fenced(this.pool, async (db) => {
      const changed = await db.query(
        `UPDATE streams SET last_error = $5, last_error_at = $6, failing_since = coalesce(failing_since, $6),
           paused_reason = coalesce($7, paused_reason),
           paused_at = CASE WHEN $7::text IS NULL THEN paused_at ELSE $6 END
         WHERE owner = $1 AND name = $2 AND lease_token = $3 AND version = $4 AND lease_holder IS NOT NULL
         RETURNING 1`,
        [key.owner, key.name, lease.token, lease.version, failure.error, failure.nowMs, failure.pause],
      );
      if (changed.length !== 1) throw new Refused();
    });
  }

  async firstLeafSince(log: LogId, fromMs: number): Promise<number | undefined> {
    const table = logTableOfKind(log.kind);
    const [row] = await this.pool.query<{ leaf: number | null }>(
      `SELECT min(l.leaf_index) AS leaf FROM ${table.table} r
         JOIN integrity_leaves l ON l.tenant_id = r.tenant_id AND l.kind = $1 AND l.record_id = r.id
                                AND l.transition = 0
        WHERE r.tenant_id = $2 AND r."${table.timeColumn}" >= $3`,
      [log.kind, log.tenantId, fromMs],
    );
    return row?.leaf ?? undefined;
  }
}

async function insertPositions(db: PgExecutor, key: StreamKey, positions: readonly StreamPosition[]) {
  if (positions.length === 0) return;
  await db.query(
    `INSERT INTO stream_positions (owner, name, tenant_id, kind, next_leaf)
     SELECT $1, $2, tenant_id, kind, next_leaf
       FROM unnest($3::text[], $4::text[], $5::bigint[]) AS p (tenant_id, kind, next_leaf)`,
    [
      key.owner,
      key.name,
      positions.map((position) => position.tenantId),
      positions.map((position) => position.kind),
      positions.map((position) => position.nextLeaf),
    ],
  );
}

/** Runs `work` in a transaction: true once committed, false when it threw Refused (rolled back). */
async function fenced(pool: PgPool, work: (db: PgExecutor) => Promise<void>): Promise<boolean> {
  try {
    await pool.transaction(work);
    return true;
  } catch (error) {
    if (error instanceof Refused) return false;
    throw error;
  }
}
