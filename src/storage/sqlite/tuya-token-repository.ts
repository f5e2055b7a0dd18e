import type Database from 'better-sqlite3';
import type { TuyaTokenPair, TuyaTokenRepository } from '../../domain/audit-store.js';
import { asPromise } from './as-promise.js';
import type { StoreWriter } from './store-writer.js';

interface TokenRow {
  access_hash: string;
  refresh_hash: string;
  client_id: string;
  uid: string;
  issued_at: number;
  access_expires_at: number;
  refresh_expires_at: number;
  revoked_at: number | null;
}

const INSERT = `INSERT INTO tuya_tokens
  (access_hash, refresh_hash, client_id, uid, issued_at, access_expires_at, refresh_expires_at, revoked_at)
  VALUES (@accessHash, @refreshHash, @clientId, @uid, @issuedAt, @accessExpiresAt, @refreshExpiresAt, @revokedAt)`;

export class SqliteTuyaTokenRepository implements TuyaTokenRepository {
  /** Reads on `db`; writes go to `writer` (see tuyaTokenWrites). */
  constructor(
    private readonly db: Database.Database,
    private readonly writer: StoreWriter,
  ) {}

  insert(pair: TuyaTokenPair): Promise<void> {
    return this.writer.run('insertTuyaToken', pair);
  }

  findByAccessHash(accessHash: string): Promise<TuyaTokenPair | undefined> {
    return asPromise(() => {
      const row = this.db.prepare('SELECT * FROM tuya_tokens WHERE access_hash = ?').get(accessHash) as
        TokenRow | undefined;
      return (
        row && {
          accessHash: row.access_hash,
          refreshHash: row.refresh_hash,
          clientId: row.client_id,
          uid: row.uid,
          issuedAt: row.issued_at,
          accessExpiresAt: row.access_expires_at,
          refreshExpiresAt: row.refresh_expires_at,
          revokedAt: row.revoked_at,
        }
      );
    });
  }

  rotate(clientId: string, refreshHash: string, next: TuyaTokenPair, nowMs: number): Promise<boolean> {
    return this.writer.run('rotateTuyaToken', clientId, refreshHash, next, nowMs);
  }
}

/** The token writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function tuyaTokenWrites(db: Database.Database) {
  return {
    insertTuyaToken(pair: TuyaTokenPair): void {
      db.prepare(INSERT).run(pair);
    },

    /** Revokes the pair of `refreshHash` and stores `next`; false (storing nothing) when it is not usable. */
    rotateTuyaToken(clientId: string, refreshHash: string, next: TuyaTokenPair, nowMs: number): boolean {
      return db
        .transaction(() => {
          const ended = db
            .prepare(
              `UPDATE tuya_tokens SET revoked_at = ?
                WHERE refresh_hash = ? AND client_id = ? AND revoked_at IS NULL AND refresh_expires_at > ?`,
            )
            .run(nowMs, refreshHash, clientId, nowMs);
          if (ended.changes !== 1) return false;
          db.prepare(INSERT).run(next);
          // Pairs whose refresh token expired can never be used again.
          db.prepare('DELETE FROM tuya_tokens WHERE refresh_expires_at < ?').run(nowMs);
          return true;
        })
        .immediate();
    },
  };
}
