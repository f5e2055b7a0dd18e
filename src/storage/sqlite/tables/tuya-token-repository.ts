import type Database from 'better-sqlite3';
import type { TuyaTokenPair, TuyaTokenRepository } from '../../../domain/audit-store.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { StoreWriter } from '../engine/store-writer.js';

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

export class SqliteTuyaTokenRepository implements TuyaTokenRepository {
  private readonly statements: StatementCache;

  /** Reads on `db`; writes go to `writer` (see tuya-token-writes.ts). */
  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    // Every signed business call looks its token up: the statement is prepared once, on first use.
    this.statements = new StatementCache(db);
  }

  insert(pair: TuyaTokenPair): Promise<void> {
    return this.writer.run({ type: 'insert-tuya-token', pair });
  }

  findByAccessHash(accessHash: string): Promise<TuyaTokenPair | undefined> {
    return asPromise(() => {
      const row = this.statements
        .prepare('SELECT * FROM tuya_tokens WHERE access_hash = ?')
        .get(accessHash) as TokenRow | undefined;
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
    return this.writer.run({ type: 'rotate-tuya-token', clientId, refreshHash, next, nowMs });
  }
}
