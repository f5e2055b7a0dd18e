import {
  checkRecordedMasterKeys,
  wrappingKeyRecord,
  type RecordedMasterKey,
} from '../../sealing/master-key-check.js';
import type { MasterKeys } from '../../sealing/master-keys.js';
import type { PgExecutor } from './pg-executor.js';

/** Records the wrapping master key (once), then checks every recorded key is configured. */
export async function registerMasterKeys(db: PgExecutor, keys: MasterKeys): Promise<void> {
  const { id, fingerprint } = wrappingKeyRecord(keys);
  await db.query('INSERT INTO master_keys (id, fingerprint) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    id,
    fingerprint,
  ]);
  checkRecordedMasterKeys(keys, await db.query<RecordedMasterKey>('SELECT id, fingerprint FROM master_keys'));
}
