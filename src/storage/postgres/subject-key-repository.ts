import type { StoredSubjectKey, SubjectKeyStore } from '../../sealing/subject-key-ring.js';
import type { PgExecutor } from './pg-executor.js';
import type { SqlBuilder } from './sql-fragments.js';

const KEY_COLUMNS = ['tenant_id', 'key_id', 'subject', 'master_key_id', 'wrapped', 'created_at'] as const;
const KEY_LIST = KEY_COLUMNS.join(', ');

/** The subject keys on PostgreSQL; written with the rows they seal (subjectKeysCte), never alone. */
export class PgSubjectKeyRepository implements SubjectKeyStore {
  constructor(private readonly db: PgExecutor) {}

  findByIds(tenantId: string, keyIds: readonly string[]): Promise<StoredSubjectKey[]> {
    return this.db.query<StoredSubjectKey>(
      `SELECT ${KEY_LIST} FROM subject_keys WHERE tenant_id = $1 AND key_id = ANY($2::text[])`,
      [tenantId, [...keyIds]],
    );
  }

  findCurrent(tenantId: string, subjects: readonly string[]): Promise<StoredSubjectKey[]> {
    // Ties on created_at (two keys made in one ms by two processes) go to the greater key id, so
    // every process picks the same one.
    return this.db.query<StoredSubjectKey>(
      `SELECT DISTINCT ON (subject) ${KEY_LIST} FROM subject_keys
        WHERE tenant_id = $1 AND subject = ANY($2::text[])
        ORDER BY subject, created_at DESC, key_id DESC`,
      [tenantId, [...subjects]],
    );
  }
}

/** The stored columns of a subject key, in the order subjectKeysCteOver takes their arrays. */
export const SUBJECT_KEY_COLUMNS: readonly (readonly [(typeof KEY_COLUMNS)[number], 'text' | 'bigint'])[] =
  KEY_COLUMNS.map((column) => [column, column === 'created_at' ? 'bigint' : 'text'] as const);

/**
 * A CTE storing `keys` in the statement that stores the rows they seal (one transaction); a key
 * stored already (a retried batch) is left as it is. Empty when there is no key to store.
 */
export function subjectKeysCte(keys: readonly StoredSubjectKey[], sql: SqlBuilder): string[] {
  if (keys.length === 0) return [];
  return subjectKeysCteOver(
    SUBJECT_KEY_COLUMNS.map(([column, type]) => `${sql.bind(keys.map((key) => key[column]))}::${type}[]`),
  );
}

/** subjectKeysCte over `arrays`, one SQL array expression per column of SUBJECT_KEY_COLUMNS. */
export function subjectKeysCteOver(arrays: readonly string[]): string[] {
  return [
    `new_subject_keys AS (INSERT INTO subject_keys (${KEY_LIST})
       SELECT * FROM unnest(${arrays.join(', ')}) ON CONFLICT DO NOTHING)`,
  ];
}
