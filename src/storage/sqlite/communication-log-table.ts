import type { CommunicationLog } from '../../domain/records.js';
import type { TableSpec } from './table-access.js';

/** The columns of communication_logs, in insert order. */
export const COMMUNICATION_LOG_COLUMNS = [
  'tenant_id',
  'id',
  'user_id',
  'channel',
  'status',
  'recipient',
  'content',
  'provider',
  'template_id',
  'error',
  'response',
  'sent_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof CommunicationLog>;

export const COMMUNICATION_LOG_TABLE: TableSpec<CommunicationLog> = {
  table: 'communication_logs',
  columns: COMMUNICATION_LOG_COLUMNS,
  orderBy: 'created_at DESC, id DESC',
  tally: {
    table: 'communication_log_tallies',
    columns: ['tenant_id', 'channel', 'status'],
    key: (log) => [log.tenant_id, log.channel, log.status],
  },
};

/** Appends one delivery-status change to a log's history. */
export const APPEND_TRANSITION_SQL = `INSERT INTO communication_log_transitions
    (tenant_id, log_id, from_status, to_status, error, response, sent_at, changed_at)
  VALUES (@tenant_id, @log_id, @from_status, @to_status, @error, @response, @sent_at, @changed_at)`;
