import { logTable } from '../log-table.js';

export const CHANNELS = ['sms', 'email', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'delivered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One SMS, e-mail or push message sent to a user (AuthMS `dto.CommunicationLogResponse`). Field
 * names follow the seed (snake_case); times are epoch ms (UTC), formatted only at the API edge.
 */
export interface CommunicationLog {
  tenant_id: string;
  id: string;
  user_id: string;
  channel: Channel;
  status: DeliveryStatus;
  /** The raw phone number, e-mail address or device token; masked before it leaves sealog. */
  recipient: string;
  content: string;
  provider: string;
  template_id: string;
  error: string | null;
  response: string | null;
  /** Epoch ms, or null while the message has not been sent. */
  sent_at: number | null;
  created_at: number;
  updated_at: number;
}

/** One accepted move of a communication log's delivery status; kept forever, append-only. */
export interface StatusTransition {
  tenant_id: string;
  log_id: string;
  from_status: DeliveryStatus;
  to_status: DeliveryStatus;
  error: string | null;
  response: string | null;
  sent_at: number | null;
  /** Epoch ms when sealog accepted the transition. */
  changed_at: number;
}

export const COMMUNICATION_LOG_TABLE = logTable<CommunicationLog>({
  kind: 'communication-log',
  table: 'communication_logs',
  columns: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['user_id', 'text'],
    ['channel', 'text'],
    ['status', 'text'],
    ['recipient', 'text'],
    ['content', 'text'],
    ['provider', 'text'],
    ['template_id', 'text'],
    ['error', 'text'],
    ['response', 'text'],
    ['sent_at', 'bigint'],
    ['created_at', 'bigint'],
    ['updated_at', 'bigint'],
  ],
  timeColumn: 'created_at',
  keysTable: 'communication_log_keys',
  idPrefix: 'log_',
  retention: { defaultPeriod: '180d', fields: ['content'] },
  sealing: { sealed: ['recipient', 'content'], separate: ['error', 'response'], subject: 'user_id' },
  dependentTables: ['communication_log_transitions'],
  dependentKey: 'log_id',
  // Status moves with delivery receipts: the volume's triggers move the row's count with it.
  volume: { table: 'communication_log_volume', dimensions: ['channel', 'status'] },
  tally: {
    table: 'communication_log_tallies',
    columns: ['tenant_id', 'channel', 'status'],
    key: (log) => [log.tenant_id, log.channel, log.status],
    sql: ['tenant_id', 'channel', 'status'],
    reads: ['tenant_id', 'channel', 'status'],
  },
});

/** The history table's columns, in insert order, with their types. */
export const TRANSITION_COLUMNS = [
  ['tenant_id', 'text'],
  ['log_id', 'text'],
  ['from_status', 'text'],
  ['to_status', 'text'],
  ['error', 'text'],
  ['response', 'text'],
  ['sent_at', 'bigint'],
  ['changed_at', 'bigint'],
] as const satisfies ReadonlyArray<readonly [keyof StatusTransition, 'text' | 'bigint']>;
