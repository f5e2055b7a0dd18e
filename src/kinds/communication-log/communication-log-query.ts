import type { LogQuery } from '../log-query.js';
import { communicationLogConditions } from './communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  type Channel,
  type CommunicationLog,
  type DeliveryStatus,
} from './communication-log-table.js';

/**
 * The console's filters of communication logs: user, channel and status, exact (the schema admits
 * only the channels and statuses there are), as the admin list filters them.
 */
export const COMMUNICATION_LOG_QUERY: LogQuery<CommunicationLog> = {
  table: COMMUNICATION_LOG_TABLE,
  filters: ['user_id', 'channel', 'status'],
  conditions: (params) =>
    communicationLogConditions({
      userId: params.user_id,
      channel: params.channel as Channel | undefined,
      status: params.status as DeliveryStatus | undefined,
    }),
};
