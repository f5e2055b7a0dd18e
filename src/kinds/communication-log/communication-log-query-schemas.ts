import { Type } from 'typebox';
import type { LogQueryDescription } from '../log-kind-module.js';
import { COMMUNICATION_LOG_QUERY } from './communication-log-query.js';
import { presentCommunicationLog } from './communication-log-presenter.js';
import { CommunicationLogResponse } from './communication-log-schemas.js';
import { CHANNELS, DELIVERY_STATUSES, type CommunicationLog } from './communication-log-table.js';

/** Communication logs in the console: AuthMS items (recipient masked, RFC 3339 times). */
export const COMMUNICATION_LOG_CONSOLE: LogQueryDescription<CommunicationLog> = {
  query: COMMUNICATION_LOG_QUERY,
  filters: {
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'only this user’s logs' }),
    ),
    channel: Type.Optional(Type.Enum(CHANNELS, { description: 'sms, email or push' })),
    status: Type.Optional(
      Type.Enum(DELIVERY_STATUSES, {
        description: 'current delivery status: pending, sent, failed or delivered',
      }),
    ),
  },
  item: CommunicationLogResponse,
  present: presentCommunicationLog,
};
