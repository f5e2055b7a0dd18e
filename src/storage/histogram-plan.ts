import { conditionsInUse, type Condition } from '../domain/conditions.js';
import type { HistogramBuckets } from '../domain/log-rows.js';
import { HOUR_MS, type LogTable } from '../kinds/log-table.js';

/**
 * How a histogram is answered, the same rule on every store: from the kind's volume table when it
 * can answer exactly (VolumeSpec), else by counting the matching rows.
 */

/** A histogram summed from a volume table: conditions on its columns, hours [fromHour, untilHour). */
export interface VolumeHistogram {
  readonly table: string;
  /** The caller's conditions, all equalities on the volume table's columns of the same names. */
  readonly conditions: readonly Condition[];
  readonly fromHour: number;
  readonly untilHour: number;
  /** Hours per bucket. */
  readonly widthHours: number;
}

/** The number of buckets in `buckets`; throws when they are not as HistogramBuckets requires. */
export function bucketCount(buckets: HistogramBuckets): number {
  const { fromMs, untilMs, widthMs } = buckets;
  const count = (untilMs - fromMs) / widthMs;
  if (!Number.isSafeInteger(fromMs) || !(widthMs > 0) || !Number.isInteger(count) || count < 1) {
    throw new RangeError(`histogram buckets ${JSON.stringify(buckets)} are not whole buckets`);
  }
  return count;
}

/**
 * The volume query answering a histogram of `table`'s rows matching `conditions` in `buckets`;
 * undefined when the volume cannot: the kind has none, a condition is not an equality on
 * tenant_id or one of its dimensions, or the buckets are not whole UTC hours.
 */
export function volumeHistogram(
  table: LogTable,
  conditions: readonly Condition[],
  buckets: HistogramBuckets,
): VolumeHistogram | undefined {
  const { volume } = table;
  if (volume === undefined) return undefined;
  const keys = new Set(['tenant_id', ...volume.dimensions]);
  const inUse = conditionsInUse(conditions);
  const answerable = inUse.every(
    (condition) =>
      condition.op === '=' && condition.columns.length === 1 && keys.has(condition.columns[0] ?? ''),
  );
  if (!answerable || buckets.fromMs % HOUR_MS !== 0 || buckets.widthMs % HOUR_MS !== 0) return undefined;
  return {
    table: volume.table,
    conditions: inUse,
    fromHour: buckets.fromMs / HOUR_MS,
    untilHour: buckets.untilMs / HOUR_MS,
    widthHours: buckets.widthMs / HOUR_MS,
  };
}

/** Counts per bucket index (rows of `bucket`, `n`; bucket outside [0, count) ignored), zeros filled in. */
export function countsByBucket(
  rows: readonly { bucket: number | string; n: number | string }[],
  count: number,
): number[] {
  const counts = new Array<number>(count).fill(0);
  for (const row of rows) {
    const bucket = Number(row.bucket);
    if (!Number.isInteger(bucket)) throw new Error(`histogram bucket ${bucket} is not a bucket's index`);
    if (bucket >= 0 && bucket < count) counts[bucket] = Number(row.n);
  }
  return counts;
}
