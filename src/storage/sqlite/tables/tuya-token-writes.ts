import type Database from 'better-sqlite3';
import type { TuyaTokenPair } from '../../../domain/audit-store.js';
import { StatementCache } from '../engine/statement-cache.js';

const INSERT = `INSERT INTO tuya_tokens
  (access_hash, refresh_hash, client_id, uid, issued_at, access_expires_at, refresh_expires_at, revoked_at)
  VALUES (@accessHash, @refreshHash, @clientId, @uid, @issuedAt, @accessExpiresAt, @refreshExpiresAt, @revokedAt)`;

/** The token writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function tuyaTokenWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  return {
    insertTuyaToken(pair: TuyaTokenPair): void {
      statements.prepare(INSERT).run(pair);
    },

    /** Revokes the pair of `refreshHash` and stores `next`; false (storing nothing) when it is not usable. */
    rotateTuyaToken(clientId: string, refreshHash: string, next: TuyaTokenPair, nowMs: number): boolean {
      return db
        .transaction(() => {
          const ended = statements
            .prepare(
              `UPDATE tuya_tokens SET revoked_at = ?
                WHERE refresh_hash = ? AND client_id = ? AND revoked_at IS NULL AND refresh_expires_at > ?`,
            )
            .run(nowMs, refreshHash, clientId, nowMs);
          if (ended.changes !== 1) return false;
          statements.prepare(INSERT).run(next);
          // Pairs whose refresh token expired can never be used again.
          statements.prepare('DELETE FROM tuya_tokens WHERE refresh_expires_at < ?').run(nowMs);
          return true;
        })
        .immediate();
    },
  };
}
