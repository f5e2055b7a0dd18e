import type Database from 'better-sqlite3';
import type { StoredSubjectKey, SubjectKeyStore } from '../../../sealing/subject-key-ring.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';

const KEY_COLUMNS = 'tenant_id, key_id, subject, master_key_id, wrapped, created_at';

/**
 * The subject keys of the embedded store, read on the event loop's connection; they are written
 * by the writer with the rows they seal (subjectKeyWrites), never here.
 */
export class SqliteSubjectKeyRepository implements SubjectKeyStore {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  findByIds(tenantId: string, keyIds: readonly string[]): Promise<StoredSubjectKey[]> {
    return asPromise(
      () =>
        this.statements
          .prepare(
            `SELECT ${KEY_COLUMNS} FROM subject_keys
              WHERE tenant_id = ? AND key_id IN (SELECT value FROM json_each(?))`,
          )
          .all(tenantId, JSON.stringify(keyIds)) as StoredSubjectKey[],
    );
  }

  findCurrent(tenantId: string, subjects: readonly string[]): Promise<StoredSubjectKey[]> {
    // Every key of the subjects (one, unless a subject's key was rotated): the ring keeps the
    // newest of each. A plain index range per subject, where a window function sorted them all.
    return asPromise(
      () =>
        this.statements
          .prepare(
            `SELECT ${KEY_COLUMNS} FROM subject_keys
              WHERE tenant_id = ? AND subject IN (SELECT value FROM json_each(?))`,
          )
          .all(tenantId, JSON.stringify(subjects)) as StoredSubjectKey[],
    );
  }
}

/**
 * Stores subject keys on the writing connection `db`, inside the caller's transaction (the one
 * storing the rows they seal). A key stored already (a retried batch) is left as it is.
 */
export function subjectKeyWrites(db: Database.Database): (keys: readonly StoredSubjectKey[]) => void {
  const statements = new StatementCache(db);
  return (keys) => {
    if (keys.length === 0) return;
    const insert = statements.prepare(
      `INSERT INTO subject_keys (${KEY_COLUMNS})
       VALUES (@tenant_id, @key_id, @subject, @master_key_id, @wrapped, @created_at)
       ON CONFLICT DO NOTHING`,
    );
    for (const key of keys) insert.run(key);
  };
}
