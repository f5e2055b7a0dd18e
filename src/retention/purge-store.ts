import type { LogTable } from '../kinds/log-table.js';

/**
 * The store's side of a retention purge (AuditStore.purge). Every removal is batched: one call
 * removes at most `limit` rows, with everything derived from them, in one transaction.
 */
export interface PurgeStore {
  /**
   * Takes (or renews) the purge lease for `holder` until `untilMs`: false while another holder's
   * lease has not ended, so that two processes never purge at once.
   */
  claimPurgeLease(holder: string, nowMs: number, untilMs: number): Promise<boolean>;
  /** Ends `holder`'s lease (nothing when another holds it). */
  releasePurgeLease(holder: string): Promise<void>;
  /** Rows of `tenantId` in `table` older than `cutoffMs` (epoch ms, exclusive): what a run would remove. */
  countExpired(table: LogTable, tenantId: string, cutoffMs: number): Promise<number>;
  /**
   * Removes up to `limit` of the oldest rows of `tenantId` in `table` older than `cutoffMs`, with
   * their dependent rows (transitions), id claims, search entries and leaf numbering, recording
   * their leaves as pruned and keeping the tallies exact: one transaction. Returns how many rows
   * it removed (fewer than `limit`: none older is left).
   */
  purgeBatch(
    table: LogTable,
    tenantId: string,
    cutoffMs: number,
    limit: number,
    nowMs: number,
  ): Promise<number>;
  /**
   * Removes whole the partitions of `table` that end at or before `cutoffMs` (epoch ms) and hold
   * rows of `tenants` only, with everything derived from their rows as purgeBatch removes it, each
   * partition at once: reads never walk the rows it deleted one by one. For a cutoff that every
   * one of `tenants`' retention has passed; the row batches that follow remove the rest. A store
   * without partitions (SQLite) removes nothing here. Returns the rows removed per tenant.
   */
  purgeExpiredPartitions(
    table: LogTable,
    tenants: readonly string[],
    cutoffMs: number,
    nowMs: number,
    hooks: PartitionPurgeHooks,
  ): Promise<Map<string, number>>;
  /**
   * The time of the oldest row of `tenantId` in `table` (epoch ms), at or after `fromMs` when
   * given; undefined when there is none.
   */
  oldestTime(table: LogTable, tenantId: string, fromMs?: number): Promise<number | undefined>;
  /**
   * The UTC days (YYYY-MM-DD, ascending) for which `tenantId` has a period key of `field`: the
   * days whose values of that field can still be read (see fieldKeySubject).
   */
  fieldKeyDays(tenantId: string, field: string): Promise<string[]>;
  /** Stores the reports of a run. */
  recordPurgeReports(reports: readonly PurgeReport[]): Promise<void>;
  /** The newest reports first (of one tenant, or every tenant when undefined), at most `limit`. */
  purgeReports(tenantId: string | undefined, limit: number): Promise<PurgeReport[]>;
  /**
   * After a run that removed rows of `tables`: gives the freed space back where the store can
   * (SQLite's free pages, PostgreSQL's emptied partitions) and has the rest of it cleaned up
   * (PostgreSQL's dead rows, which reads of a purged tenant would otherwise walk).
   */
  reclaimSpace(tables: readonly LogTable[]): Promise<void>;
}

/** What purgeExpiredPartitions reports to its run, and asks of it. */
export interface PartitionPurgeHooks {
  /** Rows per transaction when the store removes a partition's derived rows. */
  readonly batchRows: number;
  /**
   * Runs before each transaction: renews the run's lease (throws when it was lost); false when the
   * run was stopped, which leaves what is left to the next run.
   */
  between(): Promise<boolean>;
  /** Hears the rows removed so far of one tenant's log. */
  onRemoved(tenantId: string, removed: number): void;
}

/** What one run did to one tenant's log of one kind. */
export interface PurgeReport {
  readonly runId: string;
  readonly tenantId: string;
  /** LogTable.kind, or `<kind>.<field>` for a field with a retention of its own. */
  readonly kind: string;
  /** Epoch ms when the run started. */
  readonly startedAt: number;
  /** Rows older than this (epoch ms) were expired. */
  readonly cutoff: number;
  /**
   * Rows removed (a dry run: rows that would be); for a field, the days whose values of it expired
   * (their period keys destroyed).
   */
  readonly removed: number;
  /**
   * Time of the oldest row kept (epoch ms), or for a field the start of the oldest day still
   * readable; undefined when none is left.
   */
  readonly oldestKept: number | undefined;
  readonly durationMs: number;
  readonly dryRun: boolean;
}

/** Whether `report` is a field's (`<kind>.<field>`: days expired), not a kind's (rows removed). */
export function isFieldReport(report: Pick<PurgeReport, 'kind'>): boolean {
  return report.kind.includes('.');
}

/** Rows one purge transaction removes at most: small enough that ingest and reads never wait long. */
export const PURGE_BATCH_ROWS = 2000;
