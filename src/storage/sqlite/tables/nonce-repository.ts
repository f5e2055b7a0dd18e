import type { NonceRepository } from '../../../domain/audit-store.js';
import type { StoreWriter } from '../engine/store-writer.js';

export class SqliteNonceRepository implements NonceRepository {
  constructor(private readonly writer: StoreWriter) {}

  remember(clientId: string, nonce: string, expiresAt: number, nowMs: number): Promise<boolean> {
    return this.writer.run({ type: 'remember-nonce', clientId, nonce, expiresAt, nowMs });
  }
}
