import type Database from 'better-sqlite3';
import type { NonceRepository } from '../audit-store.js';
import { asPromise } from './as-promise.js';

export class SqliteNonceRepository implements NonceRepository {
  constructor(private readonly db: Database.Database) {}

  remember(clientId: string, nonce: string, expiresAt: number, nowMs: number): Promise<boolean> {
    return asPromise(() =>
      this.db
        .transaction(() => {
          this.db.prepare('DELETE FROM tuya_nonces WHERE expires_at <= ?').run(nowMs);
          const stored = this.db
            .prepare(
              'INSERT INTO tuya_nonces (client_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
            )
            .run(clientId, nonce, expiresAt);
          return stored.changes === 1;
        })
        .immediate(),
    );
  }
}
