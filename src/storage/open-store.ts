import type { IntegritySettings, StoreLocation } from '../config.js';
import { ephemeralMasterKeys, loadMasterKeys } from '../sealing/master-keys.js';
import { PostgresStore } from './postgres/postgres-store.js';
import type { BackgroundFailureListener } from './sqlite/engine/background-failure.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** A store as openStore() opens it: one of the adapters. */
export type OpenedStore = SqliteStore | PostgresStore;

/**
 * Opens the store DATABASE_URL points at; the schema is brought up to date by `store.migrate()`.
 * Typed as the adapters themselves, so tests and benchmarks reach their diagnostics (keywordPlan).
 */
export function openStore(
  location: StoreLocation,
  options: { onBackgroundFailure?: BackgroundFailureListener; integrity?: IntegritySettings } = {},
): OpenedStore {
  const sealing = {
    // A store in memory forgets everything at exit: a key in memory seals it as well.
    masterKeys:
      location.kind === 'sqlite' && location.path === ':memory:' && options.integrity?.dataKey === undefined
        ? ephemeralMasterKeys()
        : loadMasterKeys(options.integrity?.dataKey, dataDirectory(location)),
    sealedCacheBytes: options.integrity?.sealedCacheBytes,
  };
  switch (location.kind) {
    case 'sqlite':
      return new SqliteStore(location.path, { onBackgroundFailure: options.onBackgroundFailure, ...sealing });
    case 'postgres':
      return new PostgresStore(location, Date.now, {
        onBackgroundFailure: options.onBackgroundFailure,
        ...sealing,
      });
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
