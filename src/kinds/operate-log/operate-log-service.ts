import type { AuditStore, InsertOutcome } from '../../domain/audit-store.js';
import type { OperateLogCursor } from './operate-log-repository.js';
import { InvalidInputError } from '../../domain/errors.js';
import { resolveBatch } from '../../domain/ingest-batch.js';
import type { Principal } from '../../domain/principal.js';
import { cursorPage, decodeRowKey, type CursorPage } from '../../domain/row-key.js';
import { OPERATE_LOG_TABLE, type OperateLog } from './operate-log-table.js';

/** An operate log as a writer sends it (Tuya list fields); `record_time` is epoch ms, default now. */
export type OperateLogInput = Partial<Omit<OperateLog, 'operate_type'>> & { operate_type: string };

/** Parameters of the Tuya operate-log query (the seed's `req`, flattened); validated by schema already. */
export interface OperateLogQuery {
  start_time?: number | undefined;
  end_time?: number | undefined;
  operate_type?: string | undefined;
  merchant_code?: string | undefined;
  key_words?: string | undefined;
  size: number;
  last_id?: string | undefined;
  last_record_time?: number | undefined;
  last_row_key?: string | undefined;
}

/** One page of the cursor walk. */
export type OperateLogPage = CursorPage<OperateLog>;

export class OperateLogService {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A page of `tenantId`'s operate logs, newest first by (record_time, id), after the cursor
   * (`last_row_key`, or `last_id` with `last_record_time`). Fetches one row more than asked to
   * learn has_more without counting.
   */
  async page(tenantId: string, query: OperateLogQuery): Promise<OperateLogPage> {
    if (query.start_time !== undefined && query.end_time !== undefined && query.start_time > query.end_time) {
      throw new InvalidInputError('start_time must not be later than end_time');
    }
    const keyWords = query.key_words?.trim();
    const rows = await this.store.operateLogs.page(
      {
        tenantId,
        fromMs: query.start_time,
        untilMs: query.end_time,
        operateType: query.operate_type,
        merchantCode: query.merchant_code,
        keyWords: keyWords === '' ? undefined : keyWords,
      },
      cursorOf(query),
      query.size + 1,
    );
    return cursorPage(rows, query.size, (row) => row.record_time);
  }

  /** Stores a batch all-or-nothing; ids already stored are skipped, so retries are safe. */
  ingest(principal: Principal, records: readonly OperateLogInput[]): Promise<InsertOutcome> {
    const nowMs = this.now();
    const logs = resolveBatch(principal, records, OPERATE_LOG_TABLE.idPrefix, nowMs).map(
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

function cursorOf(query: OperateLogQuery): OperateLogCursor | undefined {
  if (query.last_row_key !== undefined) {
    const position = decodeRowKey(query.last_row_key);
    return { recordTime: position.time, id: position.id };
  }
  if (query.last_id === undefined && query.last_record_time === undefined) return undefined;
  if (query.last_id === undefined || query.last_record_time === undefined) {
    throw new InvalidInputError('last_id and last_record_time go together: send both, or last_row_key');
  }
  return { recordTime: query.last_record_time, id: query.last_id };
}
