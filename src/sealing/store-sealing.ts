import type { MasterKeys } from './master-keys.js';

/** How a store seals personal fields, beyond its location. */
export interface StoreSealingOptions {
  /** The master keys wrapping subject keys (DATA_KEY); each store has a default. */
  masterKeys?: MasterKeys | undefined;
  /** Bytes of opened personal fields kept in memory (SEALED_CACHE_MB); 32 MiB by default. */
  sealedCacheBytes?: number | undefined;
}
