import type { AuditStore, InsertOutcome } from '../storage/audit-store.js';
import { ID_PREFIX } from './ids.js';
import { resolveBatch } from './ingest-batch.js';
import type { Principal } from './principal.js';
import type { OperateLog } from './records.js';

/** An operate log as a writer sends it (Tuya list fields); `record_time` is epoch ms, default now. */
export type OperateLogInput = Partial<Omit<OperateLog, 'operate_type'>> & { operate_type: string };

export class OperateLogService {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a batch all-or-nothing; ids already stored are skipped, so retries are safe. */
  ingest(principal: Principal, records: readonly OperateLogInput[]): Promise<InsertOutcome> {
    const nowMs = this.now();
    const logs = resolveBatch(principal, records, ID_PREFIX.operate, nowMs).map(
      ({ record, tenantId, id }): OperateLog => ({
        tenant_id: tenantId,
        id,
        record_time: record.record_time ?? nowMs,
        uid: record.uid ?? '',
        username: record.username ?? '',
        operate_type: record.operate_type,
        operate_content: record.operate_content ?? '',
        user_id: record.user_id ?? '',
        role: record.role ?? '',
        account: record.account ?? '',
        operate_geo_info: record.operate_geo_info ?? '',
        operate_ip_info: record.operate_ip_info ?? '',
        client_id: record.client_id ?? '',
        merchant_code: record.merchant_code ?? '',
        ext: record.ext ?? '',
        project_code: record.project_code ?? '',
      }),
    );
    return this.store.operateLogs.insertMany(logs);
  }
}
