/**
 * The four log views: for each kind (its URL segment, as LOG_KIND_NAMES), the filters /v1/logs
 * takes, the columns the table shows, and the field holding the record's time.
 */
export const KINDS = ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log'] as const;
export type Kind = (typeof KINDS)[number];

/** One filter of a view: a free-text field, or a choice among `options`. */
export interface FilterSpec {
  name: string;
  options?: readonly string[];
}

export interface KindSpec {
  kind: Kind;
  filters: readonly FilterSpec[];
  /** The fields the table shows, the time field first. */
  columns: readonly string[];
  /** The field /v1/logs orders by and from/until select on. */
  timeField: string;
  /**
   * The fields the record's integrity leaf holds as /v1/logs shows them: the stored, unsealed
   * columns that never change after insert. Sealed columns are '' in the leaf (their values are
   * inside an envelope the browser cannot open); a communication log's status, error, response,
   * sent_at and updated_at change with delivery receipts, and the leaf is the row as inserted.
   */
  leafFields: readonly string[];
}

export const KIND_SPECS: Readonly<Record<Kind, KindSpec>> = {
  'communication-log': {
    kind: 'communication-log',
    filters: [
      { name: 'user_id' },
      { name: 'channel', options: ['sms', 'email', 'push'] },
      { name: 'status', options: ['pending', 'sent', 'delivered', 'failed'] },
    ],
    columns: ['created_at', 'user_id', 'channel', 'status', 'recipient', 'content', 'provider'],
    timeField: 'created_at',
    leafFields: ['tenant_id', 'id', 'user_id', 'channel', 'provider', 'template_id', 'created_at'],
  },
  'mfa-config-audit-log': {
    kind: 'mfa-config-audit-log',
    filters: [{ name: 'action' }, { name: 'target_type' }, { name: 'operator_id' }],
    columns: ['timestamp', 'action', 'target_type', 'target_id', 'operator_id', 'module', 'message'],
    timeField: 'timestamp',
    leafFields: [
      'tenant_id',
      'id',
      'action',
      'target_type',
      'target_id',
      'operator_id',
      'module',
      'timestamp',
    ],
  },
  'operate-log': {
    kind: 'operate-log',
    filters: [{ name: 'operate_type' }, { name: 'merchant_code' }, { name: 'key_words' }],
    columns: ['record_time', 'operate_type', 'operate_content', 'username', 'user_id', 'merchant_code'],
    timeField: 'record_time',
    leafFields: [
      'tenant_id',
      'id',
      'record_time',
      'uid',
      'operate_type',
      'user_id',
      'role',
      'client_id',
      'merchant_code',
      'ext',
      'project_code',
    ],
  },
  'access-log': {
    kind: 'access-log',
    filters: [{ name: 'actor' }, { name: 'route' }],
    columns: ['accessed_at', 'actor', 'method', 'route', 'status', 'row_count', 'duration_ms'],
    timeField: 'accessed_at',
    leafFields: [
      'tenant_id',
      'id',
      'accessed_at',
      'actor',
      'api',
      'method',
      'route',
      'row_count',
      'status',
      'error',
      'duration_ms',
    ],
  },
};

/** Fields holding an instant (RFC 3339 text, or epoch ms for operate logs' record_time). */
export const TIME_FIELDS: ReadonlySet<string> = new Set([
  'created_at',
  'updated_at',
  'sent_at',
  'changed_at',
  'timestamp',
  'record_time',
  'accessed_at',
]);

/** Whether `value` names a view. */
export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}
