import type Database from 'better-sqlite3';
import type { TuyaTokenPair, TuyaTokenRepository } from '../audit-store.js';
import { asPromise } from './as-promise.js';

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
  constructor(private readonly db: Database.Database) {}

  insert(pair: TuyaTokenPair): Promise<void> {
    return asPromise(() => {
      this.db.prepare(INSERT).run(pair);
    });
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
    return asPromise(() =>
      this.db
        .transaction(() => {
          const ended = this.db
            .prepare(
              `UPDATE tuya_tokens SET revoked_at = ?
                WHERE refresh_hash = ? AND client_id = ? AND revoked_at IS NULL AND refresh_expires_at > ?`,
            )
            .run(nowMs, refreshHash, clientId, nowMs);
          if (ended.changes !== 1) return false;
          this.db.prepare(INSERT).run(next);
          // Pairs whose refresh token expired can never be used again.
          this.db.prepare('DELETE FROM tuya_tokens WHERE refresh_expires_at < ?').run(nowMs);
          return true;
        })
        .immediate(),
    );
  }
}
