/**
 * The three log kinds as sealog stores them. Field names follow the seed API schemas (snake_case);
 * times are epoch milliseconds (UTC) inside sealog and are formatted only at the API edge.
 */

export const CHANNELS = ['sms', 'email', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'delivered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One SMS, e-mail or push message sent to a user (AuthMS `dto.CommunicationLogResponse`). */
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

/** One change of an MFA setting (AuthMS `dto.MFAConfigAuditLogItem`). */
export interface MfaConfigAuditLog {
  tenant_id: string;
  id: string;
  action: string;
  target_type: string;
  target_id: string;
  operator_id: string;
  module: string;
  message: string;
  /** Epoch ms. */
  timestamp: number;
}

/** One operator action on an IoT cloud project (Tuya `list` item of the operate-logs API). */
export interface OperateLog {
  tenant_id: string;
  id: string;
  /** Epoch ms. */
  record_time: number;
  uid: string;
  username: string;
  operate_type: string;
  operate_content: string;
  user_id: string;
  role: string;
  account: string;
  operate_geo_info: string;
  operate_ip_info: string;
  client_id: string;
  merchant_code: string;
  ext: string;
  project_code: string;
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
