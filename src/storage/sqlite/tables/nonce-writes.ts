import type Database from 'better-sqlite3';
import { StatementCache } from '../engine/statement-cache.js';

/** The nonce writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function nonceWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  return {
    /** Forgets expired nonces, then records this one; false when the client used it already. */
    rememberNonce(clientId: string, nonce: string, expiresAt: number, nowMs: number): boolean {
      return db
        .transaction(() => {
          statements.prepare('DELETE FROM tuya_nonces WHERE expires_at <= ?').run(nowMs);
          const stored = statements
            .prepare(
              'INSERT INTO tuya_nonces (client_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
            )
            .run(clientId, nonce, expiresAt);
          return stored.changes === 1;
        })
        .immediate();
    },
  };
}
