import type { IntegritySettings, StoreLocation } from '../config.js';
import { ephemeralMasterKeys, loadMasterKeys, type MasterKeys } from '../sealing/master-keys.js';
import type { CitusOptions } from './postgres/citus/citus-distribution.js';
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
  options: {
    onBackgroundFailure?: BackgroundFailureListener;
    integrity?: IntegritySettings;
    /** How a PostgreSQL store's migrations lay it out on a Citus coordinator. */
    citus?: CitusOptions;
  } = {},
): OpenedStore {
  const sealing = storeSealing(location, options.integrity);
  switch (location.kind) {
    case 'sqlite':
      return new SqliteStore(location.path, { onBackgroundFailure: options.onBackgroundFailure, ...sealing });
    case 'postgres':
      return new PostgresStore(location, Date.now, {
        onBackgroundFailure: options.onBackgroundFailure,
        citus: options.citus,
        ...sealing,
      });
  }
}

/**
 * How a store at `location` seals personal fields: with DATA_KEY's master keys, else those of the
 * generated `data-keys` in the data directory (a key in memory for an in-memory store, which
 * forgets everything at exit anyway). Every process of one store must use this, with one config.
 */
export function storeSealing(
  location: StoreLocation,
  integrity: IntegritySettings | undefined,
): { masterKeys: MasterKeys; sealedCacheBytes: number | undefined } {
  return {
    masterKeys:
      location.kind === 'sqlite' && location.path === ':memory:' && integrity?.dataKey === undefined
        ? ephemeralMasterKeys()
        : loadMasterKeys(integrity?.dataKey, dataDirectory(location)),
    sealedCacheBytes: integrity?.sealedCacheBytes,
  };
}

/** The directory for files sealog keeps beside its data (the generated JWT secret). */
export function dataDirectory(location: StoreLocation): string {
  if (location.kind === 'sqlite' && location.path !== ':memory:') {
    const slash = location.path.lastIndexOf('/');
    return slash === -1 ? '.' : location.path.slice(0, slash) || '/';
  }
  return './data';
}
