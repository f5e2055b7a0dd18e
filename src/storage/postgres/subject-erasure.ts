import type { ErasureSource } from '../../sealing/erasure-follower.js';
import {
  SEARCH_COPIES,
  SUBJECT_COLUMNS,
  type ErasedKeys,
  type ErasureNotice,
  type ErasureRequest,
} from '../../sealing/subject-erasure.js';
import { withUntimedClient, type PgExecutor, type PgPool } from './pg-executor.js';

/**
 * Erases a subject on PostgreSQL in one transaction: its keys deleted, the search copies of its
 * records cleared, the erasure recorded. The deleted key rows stay in the table's pages as dead
 * tuples until a vacuum: see vacuumSubjectKeys.
 */
export function eraseInTransaction(pool: PgPool, request: ErasureRequest): Promise<ErasedKeys> {
  const { tenantId, subject, erasedBy, at } = request;
  return pool.transaction(async (db) => {
    const deleted = await db.query<{ key_id: string }>(
      'DELETE FROM subject_keys WHERE tenant_id = $1 AND subject = $2 RETURNING key_id',
      [tenantId, subject],
    );
    const keyIds = deleted.map((row) => row.key_id);
    for (const copy of SEARCH_COPIES) {
      await db.query(
        `UPDATE ${copy.table} SET ${copy.column} = NULL
          WHERE tenant_id = $1 AND ${copy.subject} = $2 AND ${copy.column} IS NOT NULL`,
        [tenantId, subject],
      );
    }
    const records = await countRecords(db, tenantId, subject);
    if (keyIds.length > 0) {
      await db.query(
        `INSERT INTO subject_erasures (tenant_id, subject, key_ids, records, erased_at, erased_by)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [tenantId, subject, JSON.stringify(keyIds), JSON.stringify(records), at, erasedBy],
      );
    }
    const [latest] = await db.query<{ erased_at: number | null }>(
      'SELECT max(erased_at) AS erased_at FROM subject_erasures WHERE tenant_id = $1 AND subject = $2',
      [tenantId, subject],
    );
    return { keyIds, records, erasedAt: latest?.erased_at ?? undefined };
  });
}

async function countRecords(
  db: PgExecutor,
  tenantId: string,
  subject: string,
): Promise<Record<string, number>> {
  const counts = SUBJECT_COLUMNS.map(
    ({ kind, table, subject: column }) =>
      `SELECT '${kind}' AS kind, count(*) AS n FROM ${table} WHERE tenant_id = $1 AND ${column} = $2`,
  );
  const rows = await db.query<{ kind: string; n: number }>(counts.join(' UNION ALL '), [tenantId, subject]);
  return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
}

/**
 * Vacuums the key table after an erasure, on a connection without the request timeouts: a deleted
 * key's tuple is dead but still on disk until then. (PostgreSQL does not zero the space a vacuum
 * frees; the bytes go as new rows reuse it, and from the WAL as its segments are recycled.)
 */
export async function vacuumSubjectKeys(url: string): Promise<void> {
  await vacuumTables(url, ['subject_keys']);
}

/**
 * Vacuums and analyzes `tables` (names from code, never input) on a connection of its own, without
 * the request timeouts: a plain VACUUM blocks neither reads nor writes.
 */
export async function vacuumTables(url: string, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await withUntimedClient(url, async (client) => {
    await client.query(`VACUUM (ANALYZE) ${tables.join(', ')}`);
  });
}

interface ErasureRow {
  seq: string;
  tenant_id: string;
  subject: string;
  key_ids: string;
}

/** The erasures recorded on PostgreSQL, for every process's ErasureFollower. */
export class PgErasureSource implements ErasureSource {
  constructor(private readonly db: PgExecutor) {}

  async latestSeq(): Promise<number> {
    const [row] = await this.db.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM subject_erasures');
    return Number(row?.seq ?? 0);
  }

  async after(seq: number, limit: number): Promise<ErasureNotice[]> {
    const rows = await this.db.query<ErasureRow>(
      'SELECT seq, tenant_id, subject, key_ids FROM subject_erasures WHERE seq > $1 ORDER BY seq LIMIT $2',
      [seq, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      tenantId: row.tenant_id,
      subject: row.subject,
      keyIds: JSON.parse(row.key_ids) as string[],
    }));
  }
}
