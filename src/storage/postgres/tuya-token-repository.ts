import type { TuyaTokenPair, TuyaTokenRepository } from '../../domain/audit-store.js';
import type { PgExecutor } from './pg-executor.js';

const COLUMNS = `access_hash AS "accessHash", refresh_hash AS "refreshHash", client_id AS "clientId", uid,
  issued_at AS "issuedAt", access_expires_at AS "accessExpiresAt", refresh_expires_at AS "refreshExpiresAt",
  revoked_at AS "revokedAt"`;

const pairValues = (pair: TuyaTokenPair) => [
  pair.accessHash,
  pair.refreshHash,
  pair.clientId,
  pair.uid,
  pair.issuedAt,
  pair.accessExpiresAt,
  pair.refreshExpiresAt,
  pair.revokedAt,
];

export class PgTuyaTokenRepository implements TuyaTokenRepository {
  constructor(private readonly db: PgExecutor) {}

  async insert(pair: TuyaTokenPair): Promise<void> {
    await this.db.query(
      `INSERT INTO tuya_tokens (access_hash, refresh_hash, client_id, uid, issued_at, access_expires_at,
         refresh_expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      pairValues(pair),
    );
  }

  async findByAccessHash(accessHash: string): Promise<TuyaTokenPair | undefined> {
    const [pair] = await this.db.query<TuyaTokenPair>(
      `SELECT ${COLUMNS} FROM tuya_tokens WHERE access_hash = $1`,
      [accessHash],
    );
    return pair;
  }

  /**
   * One statement: end the live pair, store the next one only if a pair was ended, and forget pairs
   * whose refresh token expired. The UPDATE's row lock makes a concurrent second refresh find the
   * pair ended already, so a refresh token works once.
   */
  async rotate(clientId: string, refreshHash: string, next: TuyaTokenPair, nowMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `WITH ended AS (
         UPDATE tuya_tokens SET revoked_at = $9
          WHERE refresh_hash = $10 AND client_id = $11 AND revoked_at IS NULL AND refresh_expires_at > $9
         RETURNING 1),
       stored AS (
         INSERT INTO tuya_tokens (access_hash, refresh_hash, client_id, uid, issued_at, access_expires_at,
           refresh_expires_at, revoked_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8::bigint WHERE EXISTS (SELECT 1 FROM ended)),
       purged AS (DELETE FROM tuya_tokens WHERE refresh_expires_at < $9 AND EXISTS (SELECT 1 FROM ended))
       SELECT 1 FROM ended`,
      [...pairValues(next), nowMs, refreshHash, clientId],
    );
    return rows.length === 1;
  }
}
