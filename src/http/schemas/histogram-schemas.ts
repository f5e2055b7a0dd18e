import { Type } from 'typebox';
import {
  HISTOGRAM_INTERVALS,
  MAX_HISTOGRAM_BUCKETS,
  type HistogramInterval,
} from '../../kinds/log-histogram.js';
import { authmsErrorResponses, enveloped } from './authms-envelope.js';

/** The histogram's own parameter. */
export const HistogramParameters = {
  interval: Type.Enum(Object.keys(HISTOGRAM_INTERVALS) as HistogramInterval[], {
    default: 'hour',
    description:
      'bucket width: a UTC hour or a UTC day. Without from, the range is the last 24 hours (hour) or 30 days ' +
      `(day); from and until are rounded outward to whole buckets; more than ${MAX_HISTOGRAM_BUCKETS} buckets is a 400`,
  }),
};

/** The responses of GET /v1/stats/{kind}/histogram. */
export function histogramResponses(title: string) {
  return {
    200: enveloped(
      {
        data: Type.Object({
          interval: Type.Enum(Object.keys(HISTOGRAM_INTERVALS) as HistogramInterval[]),
          from: Type.String({ format: 'date-time', description: 'RFC 3339, the first bucket’s start' }),
          until: Type.String({
            format: 'date-time',
            description: 'RFC 3339, exclusive: the last bucket’s end',
          }),
          buckets: Type.Array(
            Type.Object({
              start: Type.String({ format: 'date-time', description: 'RFC 3339, UTC' }),
              count: Type.Integer({ minimum: 0, description: 'records in [start, start + interval)' }),
            }),
            { description: 'every bucket of the range, ascending, zeros included' },
          ),
        }),
      },
      title,
    ),
    ...authmsErrorResponses,
  };
}
