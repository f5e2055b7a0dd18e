import type {
  RetentionOverride,
  RetentionOverrideChange,
  RetentionOverrideRepository,
} from '../../domain/audit-store.js';
import type { PgExecutor } from './pg-executor.js';

const COLUMNS = `policy_key AS "policyKey", period, updated_at AS "updatedAt", updated_by AS "updatedBy"`;

export class PgRetentionOverrideRepository implements RetentionOverrideRepository {
  constructor(private readonly db: PgExecutor) {}

  get(tenantId: string): Promise<RetentionOverride[]> {
    return this.db.query<RetentionOverride>(
      `SELECT ${COLUMNS} FROM retention_overrides WHERE tenant_id = $1 ORDER BY policy_key`,
      [tenantId],
    );
  }

  /**
   * One statement, so one transaction: the removals (period null) and the upserts of `changes`.
   * A key appears at most once in `changes` (the service builds them from a JSON object).
   */
  async put(
    tenantId: string,
    changes: readonly RetentionOverrideChange[],
    updatedBy: string,
    nowMs: number,
  ): Promise<void> {
    await this.db.query(
      `WITH changes AS (
         SELECT policy_key, period FROM unnest($2::text[], $3::text[]) AS change (policy_key, period)),
       removed AS (
         DELETE FROM retention_overrides AS stored USING changes
          WHERE stored.tenant_id = $1 AND stored.policy_key = changes.policy_key AND changes.period IS NULL)
       INSERT INTO retention_overrides (tenant_id, policy_key, period, updated_at, updated_by)
       SELECT $1, policy_key, period, $4, $5 FROM changes WHERE period IS NOT NULL
       ON CONFLICT (tenant_id, policy_key) DO UPDATE
         SET period = EXCLUDED.period, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
      [
        tenantId,
        changes.map((change) => change.policyKey),
        changes.map((change) => change.period),
        nowMs,
        updatedBy,
      ],
    );
  }

  async list(): Promise<{ tenantId: string; overrides: RetentionOverride[] }[]> {
    const rows = await this.db.query<RetentionOverride & { tenantId: string }>(
      `SELECT tenant_id AS "tenantId", ${COLUMNS} FROM retention_overrides ORDER BY tenant_id, policy_key`,
    );
    const tenants: { tenantId: string; overrides: RetentionOverride[] }[] = [];
    for (const { tenantId, ...override } of rows) {
      const last = tenants.at(-1);
      if (last?.tenantId === tenantId) last.overrides.push(override);
      else tenants.push({ tenantId, overrides: [override] });
    }
    return tenants;
  }
}
