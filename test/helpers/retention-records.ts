/**
 * Records of each purged kind for the retention tests, for user `usr_1` of whichever tenant they
 * are sent to, dated `at` (epoch ms).
 */

/** A communication log (an SMS with a body). */
export const commLog = (id: string, at: number) => ({
  id,
  user_id: 'usr_1',
  channel: 'sms',
  recipient: '13800138000',
  content: `code of ${id}`,
  created_at: new Date(at).toISOString(),
});
/** An MFA config audit log. */
export const mfaLog = (id: string, at: number) => ({
  id,
  action: 'mfa_totp.enabled',
  target_type: 'mfa_totp',
  target_id: 'mfa_1',
  operator_id: 'usr_1',
  module: 'data',
  message: `message of ${id}`,
  timestamp: new Date(at).toISOString(),
});
/** An operate log (its content is found by key_words). */
export const operateLog = (id: string, at: number) => ({
  ...{
    id,
    record_time: at,
    operate_type: 'login',
    operate_content: `door ${id} opened`,
    merchant_code: 'm1',
  },
  ...{ uid: 'u1', username: 'alice', user_id: 'usr_1', role: 'admin', account: 'a@example.com' },
  ...{ operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1', client_id: 'app1', ext: '{}' },
  project_code: 'p1',
});
