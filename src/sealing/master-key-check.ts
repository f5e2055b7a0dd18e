import { ConfigError } from '../config.js';
import type { MasterKeys } from './master-keys.js';

/** A master key the store records as having wrapped subject keys (table `master_keys`). */
export interface RecordedMasterKey {
  id: string;
  fingerprint: string;
}

/**
 * Throws ConfigError unless every master key the store recorded is configured, with the same key
 * (fingerprint): a process started with another DATA_KEY, or another host's generated key, would
 * otherwise seal under keys the others cannot open, or fail on every read of older rows.
 */
export function checkRecordedMasterKeys(keys: MasterKeys, recorded: readonly RecordedMasterKey[]): void {
  for (const { id, fingerprint } of recorded) {
    const configured = keys.fingerprint(id);
    if (configured === undefined) {
      throw new ConfigError(
        'DATA_KEY',
        `does not hold master key "${id}", which wrapped keys of this store: set DATA_KEY to include it (every process and host of one store needs the same keys)${keys.generatedFile === undefined ? '' : `; this process generated ${keys.generatedFile}`}`,
      );
    }
    if (configured !== fingerprint) {
      throw new ConfigError(
        'DATA_KEY',
        `holds a different key under the id "${id}" than the one that wrapped keys of this store (fingerprint ${fingerprint}): configure the original key`,
      );
    }
  }
}

/** The record of the wrapping key, for the store to keep (insert when absent). */
export function wrappingKeyRecord(keys: MasterKeys): RecordedMasterKey {
  return { id: keys.wrappingKeyId, fingerprint: keys.fingerprint(keys.wrappingKeyId) ?? '' };
}
