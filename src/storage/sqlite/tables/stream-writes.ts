import type Database from 'better-sqlite3';
import type {
  DeliveryCommit,
  DeliveryFailure,
  StreamKey,
  StreamLease,
  StreamPosition,
  StreamPut,
} from '../../../streams/stream-store.js';
import { StatementCache } from '../engine/statement-cache.js';

/** Thrown inside a savepoint to undo a fenced write that found its lease or a position moved. */
class Refused extends Error {}

/**
 * The log streams' writes, synchronous on the writing connection `db` (see write-operations.ts),
 * each in the writer's transaction. `put.secrets` arrives sealed.
 */
export function streamWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  const run = (sql: string, ...params: unknown[]) => statements.prepare(sql).run(...params);
  const insertPositions = (key: StreamKey, positions: readonly StreamPosition[]) => {
    for (const position of positions) {
      run(
        `INSERT INTO stream_positions (owner, name, tenant_id, kind, next_leaf) VALUES (?, ?, ?, ?, ?)`,
        key.owner,
        key.name,
        position.tenantId,
        position.kind,
        position.nextLeaf,
      );
    }
  };
  /** Whether `lease` is the stream's current one, at its current version. */
  const holds = (key: StreamKey, lease: StreamLease) =>
    statements
      .prepare(
        `SELECT 1 FROM streams WHERE owner = ? AND name = ? AND lease_token = ? AND version = ?
            AND lease_holder IS NOT NULL`,
      )
      .get(key.owner, key.name, lease.token, lease.version) !== undefined;
  const fenced = (work: () => void): boolean => {
    try {
      db.transaction(work)();
      return true;
    } catch (error) {
      if (error instanceof Refused) return false;
      throw error;
    }
  };
  return {
    putStream(put: StreamPut, nowMs: number): boolean {
      const exists =
        statements.prepare('SELECT 1 FROM streams WHERE owner = ? AND name = ?').get(put.owner, put.name) !==
        undefined;
      const pausedReason = put.paused ? put.pausedReason : null;
      run(
        `INSERT INTO streams (owner, name, definition, secrets, version, paused_reason, paused_at, caught_up_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
         ON CONFLICT (owner, name) DO UPDATE SET
           definition = excluded.definition, secrets = excluded.secrets, version = streams.version + 1,
           paused_reason = excluded.paused_reason,
           paused_at = CASE WHEN excluded.paused_reason IS NULL THEN NULL ELSE coalesce(streams.paused_at, excluded.paused_at) END,
           failing_since = NULL, updated_at = excluded.updated_at`,
        put.owner,
        put.name,
        put.definition,
        put.secrets,
        pausedReason,
        pausedReason === null ? null : nowMs,
        nowMs,
        nowMs,
        nowMs,
      );
      if (!exists) insertPositions(put, put.start);
      return !exists;
    },
    deleteStream(key: StreamKey): boolean {
      run('DELETE FROM stream_positions WHERE owner = ? AND name = ?', key.owner, key.name);
      return run('DELETE FROM streams WHERE owner = ? AND name = ?', key.owner, key.name).changes === 1;
    },
    pauseStream(key: StreamKey, reason: string | null, nowMs: number): boolean {
      return (
        run(
          `UPDATE streams SET paused_reason = ?, paused_at = CASE WHEN ? IS NULL THEN NULL ELSE ? END,
             failing_since = NULL, version = version + 1, updated_at = ?
           WHERE owner = ? AND name = ?`,
          reason,
          reason,
          nowMs,
          nowMs,
          key.owner,
          key.name,
        ).changes === 1
      );
    },
    rewindStream(key: StreamKey, positions: readonly StreamPosition[], nowMs: number): boolean {
      return fenced(() => {
        const changed = run(
          `UPDATE streams SET version = version + 1, updated_at = ?, caught_up_at = ?
            WHERE owner = ? AND name = ? AND (paused_reason IS NOT NULL OR events_delivered = 0)`,
          nowMs,
          nowMs,
          key.owner,
          key.name,
        );
        if (changed.changes !== 1) throw new Refused();
        run('DELETE FROM stream_positions WHERE owner = ? AND name = ?', key.owner, key.name);
        insertPositions(key, positions);
      });
    },
    claimStreamLease(
      key: StreamKey,
      holder: string,
      nowMs: number,
      untilMs: number,
    ): StreamLease | undefined {
      const row = statements
        .prepare(
          `UPDATE streams SET
             lease_token = lease_token + (CASE WHEN lease_holder IS ? THEN 0 ELSE 1 END),
             lease_holder = ?, lease_expires_at = ?
           WHERE owner = ? AND name = ? AND (lease_holder IS NULL OR lease_holder = ? OR lease_expires_at <= ?)
           RETURNING lease_token AS token, version`,
        )
        .get(holder, holder, untilMs, key.owner, key.name, holder, nowMs) as StreamLease | undefined;
      return row;
    },
    releaseStreamLease(key: StreamKey, holder: string): void {
      run(
        `UPDATE streams SET lease_holder = NULL, lease_expires_at = NULL
          WHERE owner = ? AND name = ? AND lease_holder = ?`,
        key.owner,
        key.name,
        holder,
      );
    },
    commitStreamDelivery(key: StreamKey, lease: StreamLease, commit: DeliveryCommit): boolean {
      return fenced(() => {
        if (!holds(key, lease)) throw new Refused();
        for (const { log, from, to } of commit.moves) {
          const moved = run(
            `UPDATE stream_positions SET next_leaf = ?
              WHERE owner = ? AND name = ? AND tenant_id = ? AND kind = ? AND next_leaf = ?`,
            to,
            key.owner,
            key.name,
            log.tenantId,
            log.kind,
            from,
          );
          if (moved.changes === 1) continue;
          // A log without a row stands at 0.
          const inserted =
            from === 0
              ? run(
                  `INSERT OR IGNORE INTO stream_positions (owner, name, tenant_id, kind, next_leaf)
                   VALUES (?, ?, ?, ?, ?)`,
                  key.owner,
                  key.name,
                  log.tenantId,
                  log.kind,
                  to,
                )
              : undefined;
          if (inserted?.changes !== 1) throw new Refused();
        }
        run(
          `UPDATE streams SET events_delivered = events_delivered + ?, bytes_delivered = bytes_delivered + ?,
             last_success_at = ?, failing_since = NULL,
             caught_up_at = coalesce(?, caught_up_at)
           WHERE owner = ? AND name = ?`,
          commit.events,
          commit.bytes,
          commit.nowMs,
          commit.caughtUpAt,
          key.owner,
          key.name,
        );
      });
    },
    recordStreamFailure(key: StreamKey, lease: StreamLease, failure: DeliveryFailure): boolean {
      return fenced(() => {
        if (!holds(key, lease)) throw new Refused();
        run(
          `UPDATE streams SET last_error = ?, last_error_at = ?, failing_since = coalesce(failing_since, ?),
             paused_reason = coalesce(?, paused_reason),
             paused_at = CASE WHEN ? IS NULL THEN paused_at ELSE ? END
           WHERE owner = ? AND name = ?`,
          failure.error,
          failure.nowMs,
          failure.nowMs,
          failure.pause,
          failure.pause,
          failure.nowMs,
          key.owner,
          key.name,
        );
      });
    },
  };
}
