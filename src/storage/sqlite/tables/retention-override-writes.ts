import type Database from 'better-sqlite3';
import type { RetentionOverrideChange } from '../../../domain/audit-store.js';
import { StatementCache } from '../engine/statement-cache.js';

/** The retention-override writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function retentionOverrideWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  return {
    /** Sets or (period null) removes each key's override of `tenantId`, all in one transaction. */
    putRetentionOverrides(
      tenantId: string,
      changes: readonly RetentionOverrideChange[],
      updatedBy: string,
      nowMs: number,
    ): void {
      db.transaction(() => {
        for (const { policyKey, period } of changes) {
          if (period === null) {
            statements
              .prepare('DELETE FROM retention_overrides WHERE tenant_id = ? AND policy_key = ?')
              .run(tenantId, policyKey);
            continue;
          }
          statements
            .prepare(
              `INSERT INTO retention_overrides (tenant_id, policy_key, period, updated_at, updated_by)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (tenant_id, policy_key) DO UPDATE
                 SET period = excluded.period, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
            )
            .run(tenantId, policyKey, period, nowMs, updatedBy);
        }
      })();
    },
  };
}
