import type Database from 'better-sqlite3';
import {
  checkRecordedMasterKeys,
  wrappingKeyRecord,
  type RecordedMasterKey,
} from '../../../sealing/master-key-check.js';
import type { MasterKeys } from '../../../sealing/master-keys.js';

/** Records the wrapping master key (once), then checks every recorded key is configured. */
export function registerMasterKeys(db: Database.Database, keys: MasterKeys): void {
  db.prepare(
    'INSERT INTO master_keys (id, fingerprint) VALUES (@id, @fingerprint) ON CONFLICT DO NOTHING',
  ).run(wrappingKeyRecord(keys));
  checkMasterKeys(db, keys);
}

/** Throws ConfigError unless every master key the store recorded is configured. */
export function checkMasterKeys(db: Database.Database, keys: MasterKeys): void {
  checkRecordedMasterKeys(
    keys,
    db.prepare('SELECT id, fingerprint FROM master_keys').all() as RecordedMasterKey[],
  );
}
