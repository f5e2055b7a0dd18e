import type Database from 'better-sqlite3';
import { TALLIED_TABLES, type TableTally } from '../../../domain/audit-store.js';

/**
 * Rows per table and tenant, tables in TALLIED_TABLES order and tenants in byte order; a tenant
 * without rows in a table has no entry for it. Counted in one read transaction, so the numbers
 * belong to one snapshot even while writers append. Scans every table's tenant index. `present`
 * narrows the tables to those a store file of an older version has (the others hold no row).
 */
export function tallyTables(
  db: Database.Database,
  present: (table: string) => boolean = () => true,
): TableTally[] {
  const statements = TALLIED_TABLES.filter(present).map(
    (table) =>
      [
        table,
        db.prepare(
          `SELECT tenant_id AS tenantId, count(*) AS rows FROM ${table} GROUP BY tenant_id ORDER BY tenant_id`,
        ),
      ] as const,
  );
  return db.transaction(() =>
    statements.flatMap(([table, statement]) =>
      (statement.all() as { tenantId: string; rows: number }[]).map((row) => ({ table, ...row })),
    ),
  )();
}
