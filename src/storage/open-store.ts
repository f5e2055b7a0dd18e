import type { StoreLocation } from '../config.js';
import type { AuditStore } from '../domain/audit-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Opens the store DATABASE_URL points at; the schema is brought up to date by `store.migrate()`. */
export function openStore(location: StoreLocation): AuditStore {
  switch (location.kind) {
    case 'sqlite':
      return new SqliteStore(location.path);
    case 'postgres':
      return new PostgresStore(location);
  }
}

/** The directory for files sealog keeps beside its data (the generated JWT secret). */
export function dataDirectory(location: StoreLocation): string {
  if (location.kind === 'sqlite' && location.path !== ':memory:') {
    const slash = location.path.lastIndexOf('/');
    return slash === -1 ? '.' : location.path.slice(0, slash) || '/';
  }
  return './data';
}
