import { hostname } from 'node:os';
import type { Principal } from '../domain/principal.js';
import { adminReadScope } from '../domain/tenancy.js';
import type { PurgeReport } from './purge-store.js';
import { runPurge, type LogList, type PurgeOptions, type PurgeRun, type PurgeTarget } from './purger.js';
import type { RetentionService } from './retention-service.js';

/** Reports a request lists at most. */
export const MAX_REPORTS = 1000;

/**
 * Retention purges as sealog offers them: a run (scheduled, or `sealog purge`) and the reports of
 * past runs for admins.
 */
export class PurgeService {
  constructor(
    private readonly store: PurgeTarget,
    private readonly logs: LogList,
    private readonly retention: RetentionService,
    /** The clock, epoch ms. */
    private readonly now: () => number = Date.now,
  ) {}

  /** One run over every log (or those `options` names); see runPurge. */
  run(
    options: Pick<
      PurgeOptions,
      'tenantId' | 'kind' | 'dryRun' | 'record' | 'onProgress' | 'batchRows' | 'signal' | 'pace'
    > = {},
  ): Promise<PurgeRun> {
    return runPurge(this.store, this.logs, {
      ...options,
      holder: `${hostname()} pid ${process.pid}`,
      policyOf: (tenantId) => this.retention.policyOf(tenantId),
      now: this.now,
    });
  }

  /**
   * The newest reports, at most `limit`: of the caller's tenant for a tenant admin, of `tenantId`
   * or of every tenant for a platform admin.
   */
  reports(principal: Principal, tenantId: string | undefined, limit: number): Promise<PurgeReport[]> {
    const scope = adminReadScope(principal, tenantId);
    return this.store.purge.purgeReports(scope.tenantId, Math.min(limit, MAX_REPORTS));
  }
}
