import type { StoreLocation } from '../config.js';
import type { IntegrityLog } from '../integrity/integrity-log.js';
import { PgIntegrityStore } from './postgres/integrity/pg-integrity-store.js';
import { PgPool } from './postgres/pg-executor.js';
import { openReadOnlyIntegrity } from './sqlite/integrity/read-only-integrity.js';

/** A store's integrity log opened to be read only (sealog verify), and how to close it. */
export interface IntegrityReadout {
  integrity: IntegrityLog;
  close(): Promise<void>;
}

/**
 * Opens the integrity log of the store at `location` to read it only: no writer, no migration, no
 * master keys (nothing sealed is opened, so no key file is read or generated). A SQLite store must
 * exist: throws an Error naming the path when it does not, and creates nothing. PostgreSQL is only
 * reached by the first query.
 */
export function openIntegrityReadout(location: StoreLocation): IntegrityReadout {
  switch (location.kind) {
    case 'sqlite':
      return openReadOnlyIntegrity(location.path);
    case 'postgres': {
      const pool = new PgPool(location);
      return { integrity: new PgIntegrityStore(pool), close: () => pool.close() };
    }
  }
}
