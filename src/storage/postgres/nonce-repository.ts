import type { NonceRepository } from '../../domain/audit-store.js';
import type { PgExecutor } from './pg-executor.js';

export class PgNonceRepository implements NonceRepository {
  constructor(private readonly db: PgExecutor) {}

  /**
   * One statement: a nonce not seen, or seen but expired, is (re)stored and accepted; a live one is
   * a replay. Other expired nonces are forgotten on the way.
   */
  async remember(clientId: string, nonce: string, expiresAt: number, nowMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `WITH purged AS (
         DELETE FROM tuya_nonces WHERE expires_at <= $4 AND NOT (client_id = $1 AND nonce = $2))
       INSERT INTO tuya_nonces (client_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE tuya_nonces.expires_at <= $4
       RETURNING 1`,
      [clientId, nonce, expiresAt, nowMs],
    );
    return rows.length === 1;
  }
}
