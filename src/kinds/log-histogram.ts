import type { AuditStore, HistogramBuckets } from '../domain/audit-store.js';
import { InvalidInputError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { resolveLogQuery, type LogQuery, type LogQueryParams } from './log-query.js';
import { HOUR_MS } from './log-table.js';

/** The widths a histogram's buckets may have: a UTC hour or a UTC day. */
export const HISTOGRAM_INTERVALS = { hour: HOUR_MS, day: 24 * HOUR_MS } as const;
export type HistogramInterval = keyof typeof HISTOGRAM_INTERVALS;

/** The range of a histogram whose caller gave no `from`: the last 24 hours, or the last 30 days. */
export const DEFAULT_HISTOGRAM_SPAN_MS: Readonly<Record<HistogramInterval, number>> = {
  hour: 24 * HOUR_MS,
  day: 30 * 24 * HOUR_MS,
};

/** Buckets one histogram may have at most. */
export const MAX_HISTOGRAM_BUCKETS = 2000;

/** A histogram: the rows matching a console read per bucket, every bucket of its range present. */
export interface LogHistogram {
  interval: HistogramInterval;
  /** Epoch ms, the first bucket's start (a whole UTC hour or day). */
  fromMs: number;
  /** Epoch ms, exclusive: the end of the last bucket. */
  untilMs: number;
  /** Rows per bucket, the first bucket's first; zeros included. */
  counts: number[];
}

/**
 * The buckets of a histogram of `interval` over [fromMs, untilMs) (either undefined: untilMs now,
 * fromMs the interval's default span before untilMs), rounded outward to whole UTC buckets, one
 * bucket at least; more than MAX_HISTOGRAM_BUCKETS is an InvalidInputError.
 */
export function histogramBuckets(
  interval: HistogramInterval,
  fromMs: number | undefined,
  untilMs: number | undefined,
  nowMs: number,
): HistogramBuckets {
  const widthMs = HISTOGRAM_INTERVALS[interval];
  const until = untilMs ?? Math.max(nowMs, fromMs ?? nowMs);
  const from = fromMs ?? until - DEFAULT_HISTOGRAM_SPAN_MS[interval];
  const first = Math.floor(from / widthMs) * widthMs;
  const end = Math.max(Math.ceil(until / widthMs) * widthMs, first + widthMs);
  if ((end - first) / widthMs > MAX_HISTOGRAM_BUCKETS) {
    throw new InvalidInputError(
      `from … until spans ${Math.round((end - first) / widthMs)} ${interval}s, more than ${MAX_HISTOGRAM_BUCKETS} ` +
        `buckets: narrow the range${interval === 'hour' ? ' or use interval=day' : ''}`,
    );
  }
  return { fromMs: first, untilMs: end, widthMs };
}

/**
 * The histogram of a console read of `query`'s kind for `principal`: the same filters, tenant
 * scope (admins only) and from/until as its pages (resolveLogQuery), counted per bucket of
 * `interval` (see histogramBuckets), exactly, from one snapshot.
 */
export async function logHistogram(
  store: AuditStore,
  query: LogQuery,
  principal: Principal,
  params: LogQueryParams,
  interval: HistogramInterval,
  nowMs: number,
): Promise<LogHistogram> {
  const resolved = resolveLogQuery(query, principal, params);
  const buckets = histogramBuckets(interval, resolved.fromMs, resolved.untilMs, nowMs);
  // The buckets bound the time column: the read's own bounds were rounded outward into them.
  const time = query.table.timeColumn;
  const conditions = resolved.conditions.filter(
    (condition) => !(condition.columns.length === 1 && condition.columns[0] === time),
  );
  const counts = await store.rows(query.table).histogram(conditions, buckets);
  return { interval, fromMs: buckets.fromMs, untilMs: buckets.untilMs, counts };
}
