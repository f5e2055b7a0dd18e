import type { LogRow } from '../kinds/log-table.js';
import type { Condition, TotalPart } from './conditions.js';

/** Rows of one page and the number of rows matching the filter across all pages. */
export interface CountedPage<Row> {
  rows: Row[];
  total: number;
}

/** Result of an idempotent batch insert. */
export interface InsertOutcome {
  /** Every record's id, in batch order. */
  ids: string[];
  /** The ids that were stored already, and so were skipped. */
  duplicates: string[];
}

/** Offset window of a list query; `limit` ≥ 1, `offset` ≥ 0. */
export interface OffsetWindow {
  limit: number;
  offset: number;
}

/** A position in a newest-first walk: the (time, id) of the last row already returned. */
export interface KeysetPosition {
  /** Epoch ms, the value of the table's time column. */
  time: number;
  id: string;
}

/**
 * The buckets of a histogram: [fromMs, untilMs) cut into buckets `widthMs` wide, the first
 * starting at fromMs. widthMs > 0 and untilMs − fromMs a positive multiple of it (epoch ms, UTC).
 */
export interface HistogramBuckets {
  fromMs: number;
  untilMs: number;
  widthMs: number;
}

/**
 * What every store does alike for every log kind, from the kind's table description alone. The
 * conditions are neutral (domain/conditions.ts); each store compiles them.
 */
export interface LogRows<Row extends LogRow> {
  /**
   * Stores the batch in one transaction: all rows or none. A row whose (tenant_id, id) is stored
   * already is skipped, so a retried batch stores nothing twice.
   */
  insertMany(rows: readonly Row[]): Promise<InsertOutcome>;
  /** One page, newest first by (time, id), and the sum of `totalParts`, from one snapshot. */
  list(
    conditions: readonly Condition[],
    totalParts: readonly TotalPart[],
    window: OffsetWindow,
  ): Promise<CountedPage<Row>>;
  /**
   * Up to `limit` (≥ 1) rows newest first by (time, id), strictly after `after` when given. Never
   * counts: a page deep in the walk costs what the first one costs.
   */
  page(
    conditions: readonly Condition[],
    after: KeysetPosition | undefined,
    limit: number,
    options?: ReadOptions,
  ): Promise<Row[]>;
  /**
   * The number of rows matching `conditions` (none on the time column: `buckets` bound it) in each
   * bucket, in bucket order, exact, from one statement (one snapshot). Summed from the kind's
   * volume table (VolumeSpec) when every condition is an equality on tenant_id or a volume
   * dimension and the buckets are whole UTC hours; otherwise the matching rows are counted through
   * the conditions' index (a `contains` condition scans the rows in range).
   */
  histogram(conditions: readonly Condition[], buckets: HistogramBuckets): Promise<number[]>;
  /**
   * Rows as read from the table (personal fields sealed, as the integrity log's leaf windows hold
   * them) opened as the APIs show them: unsealed, erased fields `[erased]`.
   */
  open(rows: readonly Row[], options?: ReadOptions): Promise<Row[]>;
}

/** How rows are read, beyond what is read. */
export interface ReadOptions {
  /**
   * The caller reads these rows once and moves on (an export walking every row): the store opens
   * them without keeping what it opened (plaintexts, subject keys) for later reads, which would
   * cost more than it saves and evict what the reads that come back need. Results are the same.
   */
  readonly once?: boolean;
}
