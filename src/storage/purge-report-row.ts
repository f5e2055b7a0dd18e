import type { PurgeReport } from '../retention/purge-store.js';

/** A row of `purge_reports` as both stores read it (SQLite keeps booleans as 0 and 1). */
export interface PurgeReportRow {
  run_id: string;
  tenant_id: string;
  kind: string;
  started_at: number;
  cutoff: number;
  removed: number;
  oldest_kept: number | null;
  duration_ms: number;
  dry_run: boolean | number;
}

/** The report a `purge_reports` row holds. */
export function reportOf(row: PurgeReportRow): PurgeReport {
  return {
    runId: row.run_id,
    tenantId: row.tenant_id,
    kind: row.kind,
    startedAt: row.started_at,
    cutoff: row.cutoff,
    removed: row.removed,
    oldestKept: row.oldest_kept ?? undefined,
    durationMs: row.duration_ms,
    dryRun: row.dry_run === true || row.dry_run === 1,
  };
}
