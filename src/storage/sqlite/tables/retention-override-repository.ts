import type Database from 'better-sqlite3';
import type {
  RetentionOverride,
  RetentionOverrideChange,
  RetentionOverrideRepository,
} from '../../../domain/audit-store.js';
import { asPromise } from '../engine/as-promise.js';
import type { StoreWriter } from '../engine/store-writer.js';

interface OverrideRow {
  tenant_id: string;
  policy_key: string;
  period: string;
  updated_at: number;
  updated_by: string;
}

const COLUMNS = 'tenant_id, policy_key, period, updated_at, updated_by';

const overrideOf = (row: OverrideRow): RetentionOverride => ({
  policyKey: row.policy_key,
  period: row.period,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});

/** Reads on `db`; writes go to `writer` (see retention-override-writes.ts). */
export class SqliteRetentionOverrideRepository implements RetentionOverrideRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly writer: StoreWriter,
  ) {}

  get(tenantId: string): Promise<RetentionOverride[]> {
    return asPromise(() =>
      (
        this.db
          .prepare(`SELECT ${COLUMNS} FROM retention_overrides WHERE tenant_id = ? ORDER BY policy_key`)
          .all(tenantId) as OverrideRow[]
      ).map(overrideOf),
    );
  }

  put(
    tenantId: string,
    changes: readonly RetentionOverrideChange[],
    updatedBy: string,
    nowMs: number,
  ): Promise<void> {
    return this.writer.run({ type: 'put-retention-overrides', tenantId, changes, updatedBy, nowMs });
  }

  list(): Promise<{ tenantId: string; overrides: RetentionOverride[] }[]> {
    return asPromise(() => {
      const rows = this.db
        .prepare(`SELECT ${COLUMNS} FROM retention_overrides ORDER BY tenant_id, policy_key`)
        .all() as OverrideRow[];
      const tenants: { tenantId: string; overrides: RetentionOverride[] }[] = [];
      for (const row of rows) {
        const last = tenants.at(-1);
        if (last?.tenantId === row.tenant_id) last.overrides.push(overrideOf(row));
        else tenants.push({ tenantId: row.tenant_id, overrides: [overrideOf(row)] });
      }
      return tenants;
    });
  }
}
