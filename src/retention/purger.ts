import { randomUUID } from 'node:crypto';
import type { LogTable } from '../kinds/log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { LogStatus } from '../integrity/sequencing/integrity-store.js';
import { periodMs } from './retention-period.js';
import type { RetentionPolicy } from './retention-policy.js';
import { isFieldReport, PURGE_BATCH_ROWS, type PurgeReport, type PurgeStore } from './purge-store.js';
import { fieldKeySubject, utcDayOf } from '../sealing/personal-fields.js';
import type { SubjectErasure } from '../sealing/subject-erasure.js';

/** What a purge run needs to know. */
export interface PurgeOptions {
  /** Who runs it (process and host), for the lease. */
  readonly holder: string;
  /** The effective retention of a tenant. */
  readonly policyOf: (tenantId: string) => Promise<RetentionPolicy>;
  /** Only this tenant / this kind (LogTable.kind). */
  readonly tenantId?: string | undefined;
  readonly kind?: string | undefined;
  /** Count what would go, remove nothing. */
  readonly dryRun?: boolean | undefined;
  /** Store the run's reports (default true; false for an estimate before a run). */
  readonly record?: boolean | undefined;
  /** Rows per transaction (PURGE_BATCH_ROWS by default). */
  readonly batchRows?: number | undefined;
  /** The clock, epoch ms. */
  readonly now?: (() => number) | undefined;
  /**
   * Waits after each batch, told how long it took (ms): a purge run beside a server on the same
   * SQLite file takes turns with it for the file's one write lock.
   */
  readonly pace?: ((batchMs: number) => Promise<void>) | undefined;
  /** Stops the run between two batches (its reports say what was done). */
  readonly signal?: AbortSignal | undefined;
  /** Hears each batch: the log and the rows removed so far from it. */
  readonly onProgress?: ((report: { tenantId: string; kind: string; removed: number }) => void) | undefined;
}

/** What a run needs of the store (an AuditStore): the purge's side, and erasure, which expires a field's keys. */
export interface PurgeTarget extends SubjectErasure {
  readonly purge: PurgeStore;
}

/** The outcome of a run: its reports, or why it did not run. */
export type PurgeRun =
  | { readonly ran: true; readonly runId: string; readonly reports: PurgeReport[] }
  | { readonly ran: false; readonly reason: string };

/** How long a lease lasts without renewal, ms: a holder that dies frees it after this. */
export const PURGE_LEASE_MS = 60_000;

/** The logs a purge walks: every (tenant, kind) that has rows, as the integrity log lists them. */
export type LogList = () => Promise<readonly LogStatus[]>;

/**
 * One purge run: for every (tenant, kind) log, the rows older than the tenant's retention of the
 * kind are removed in batches of `batchRows`, oldest first, each in a transaction of its own, and
 * a report per log is stored. Holds the store's purge lease throughout (renewed every batch), so
 * several sealog processes never purge at once; a run that finds the lease taken does nothing.
 */
export async function runPurge(store: PurgeTarget, logs: LogList, options: PurgeOptions): Promise<PurgeRun> {
  const now = options.now ?? Date.now;
  const runId = randomUUID();
  const holder = `${options.holder} ${runId}`;
  const renew = () => store.purge.claimPurgeLease(holder, now(), now() + PURGE_LEASE_MS);
  if (!(await renew())) return { ran: false, reason: 'another sealog process is purging' };
  const reports: PurgeReport[] = [];
  try {
    const startedAt = now();
    const run: Run = { ...options, runId, startedAt, renew, now };
    const planned: PlannedLog[] = [];
    for (const log of await logs()) {
      if (options.tenantId !== undefined && log.tenantId !== options.tenantId) continue;
      if (options.kind !== undefined && log.kind !== options.kind) continue;
      const table = LOG_TABLES.find((candidate) => candidate.kind === log.kind);
      if (table === undefined) continue;
      const policy = await options.policyOf(log.tenantId);
      const period = periodMs(policy.ofKind(table).period);
      planned.push({
        tenantId: log.tenantId,
        table,
        policy,
        cutoff: period === undefined ? undefined : startedAt - period,
      });
    }
    // A run for one tenant never drops a partition other tenants' rows share.
    const byPartition =
      run.dryRun === true || options.tenantId !== undefined
        ? new Map<string, PartitionShare>()
        : await purgePartitions(store, planned, run);
    for (const { tenantId, table, policy, cutoff } of planned) {
      if (options.signal?.aborted === true) break;
      if (cutoff === undefined) continue;
      reports.push(
        await purgeLog(store, table, tenantId, cutoff, run, byPartition.get(logKey(tenantId, table))),
      );
      for (const field of table.retention.fields ?? []) {
        // A field without a period of its own follows its record: its keys of purged days go too.
        const fieldPeriod = periodMs(policy.ofField(table, field).period);
        const fieldCutoff = fieldPeriod === undefined ? cutoff : startedAt - fieldPeriod;
        reports.push(await expireField(store, table, field, tenantId, fieldCutoff, run));
      }
    }
    if (options.record !== false) await store.purge.recordPurgeReports(reports);
    // Only where row batches removed rows: a partition removed whole leaves no dead rows in its
    // log table, whose vacuum (every partition) would cost a large store minutes of I/O for nothing.
    const purged = LOG_TABLES.filter((table) =>
      reports.some(
        (report) =>
          report.kind === table.kind &&
          !report.dryRun &&
          report.removed > (byPartition.get(logKey(report.tenantId, table))?.removed ?? 0),
      ),
    );
    if (purged.length > 0) await store.purge.reclaimSpace(purged);
    if (reports.some((report) => isFieldReport(report) && report.removed > 0 && !report.dryRun)) {
      await store.scrubErased();
    }
  } finally {
    await store.purge.releasePurgeLease(holder);
  }
  return { ran: true, runId, reports };
}

/** One log a run walks, with its tenant's retention: `cutoff` undefined when kept forever. */
interface PlannedLog {
  readonly tenantId: string;
  readonly table: LogTable;
  readonly policy: RetentionPolicy;
  readonly cutoff: number | undefined;
}

/** What the partition step removed of one log: rows, and its share of the step's time (ms). */
interface PartitionShare {
  readonly removed: number;
  readonly durationMs: number;
}

const logKey = (tenantId: string, table: LogTable) => `${table.kind}\u0000${tenantId}`;

/**
 * The partition step: for each kind, the store removes whole the partitions that every tenant's
 * retention has passed (cut off at the earliest of the tenants' cutoffs; none while a tenant keeps
 * the kind forever). Returns per log what went that way, the step's time shared by rows.
 */
async function purgePartitions(
  store: PurgeTarget,
  planned: readonly PlannedLog[],
  run: Run,
): Promise<Map<string, PartitionShare>> {
  const shares = new Map<string, PartitionShare>();
  for (const table of LOG_TABLES) {
    const logs = planned.filter((log) => log.table === table);
    if (logs.length === 0) continue;
    const cutoffs = logs.map((log) => log.cutoff ?? Number.NEGATIVE_INFINITY);
    const started = performance.now();
    // Called even when a tenant keeps the kind forever (no partition then qualifies): the store
    // still finishes a partition an earlier run detached and did not clear.
    const removed = await store.purge.purgeExpiredPartitions(
      table,
      logs.map((log) => log.tenantId),
      Math.min(...cutoffs),
      run.now(),
      {
        batchRows: run.batchRows ?? PURGE_BATCH_ROWS,
        between: async () => {
          if (run.signal?.aborted === true) return false;
          if (!(await run.renew())) throw new Error('the purge lease was lost to another process: stopping');
          return true;
        },
        onRemoved: (tenantId, rows) => run.onProgress?.({ tenantId, kind: table.kind, removed: rows }),
      },
    );
    const total = [...removed.values()].reduce((sum, rows) => sum + rows, 0);
    const elapsed = performance.now() - started;
    for (const [tenantId, rows] of removed) {
      shares.set(logKey(tenantId, table), { removed: rows, durationMs: (elapsed * rows) / total });
    }
  }
  return shares;
}

async function purgeLog(
  store: PurgeTarget,
  table: LogTable,
  tenantId: string,
  cutoff: number,
  run: Run,
  fromPartitions: PartitionShare | undefined,
): Promise<PurgeReport> {
  const started = performance.now();
  let removed = fromPartitions?.removed ?? 0;
  if (run.dryRun === true) {
    removed = await store.purge.countExpired(table, tenantId, cutoff);
  } else {
    const limit = run.batchRows ?? PURGE_BATCH_ROWS;
    while (run.signal?.aborted !== true) {
      if (!(await run.renew())) throw new Error('the purge lease was lost to another process: stopping');
      const batchStarted = performance.now();
      const batch = await store.purge.purgeBatch(table, tenantId, cutoff, limit, run.now());
      removed += batch;
      await run.pace?.(performance.now() - batchStarted);
      run.onProgress?.({ tenantId, kind: table.kind, removed });
      if (batch < limit) break;
    }
  }
  return {
    runId: run.runId,
    tenantId,
    kind: table.kind,
    startedAt: run.startedAt,
    cutoff,
    removed,
    // A dry run keeps what is not expired; a real one reports what is left, however old.
    oldestKept: await store.purge.oldestTime(table, tenantId, run.dryRun === true ? cutoff : undefined),
    // The log's share of the partition step's time counts as its own.
    durationMs: Math.round(performance.now() - started + (fromPartitions?.durationMs ?? 0)),
    dryRun: run.dryRun === true,
  };
}

/** Who a field's expiry is recorded as having erased its period keys. */
export const RETENTION_ACTOR = 'retention';

type Run = PurgeOptions & {
  runId: string;
  startedAt: number;
  renew: () => Promise<boolean>;
  now: () => number;
};

/**
 * Expires the values of `field` of the records of days wholly before the UTC day of `cutoff`, by
 * destroying their period keys (an erasure of each day's field-key subject): the records and
 * their leaves stay; the field reads EXPIRED. A value is so kept for its period and at most a day
 * more.
 */
async function expireField(
  store: PurgeTarget,
  table: LogTable,
  field: string,
  tenantId: string,
  cutoff: number,
  run: Run,
): Promise<PurgeReport> {
  const started = performance.now();
  const cutoffDay = utcDayOf(cutoff);
  const days = await store.purge.fieldKeyDays(tenantId, field);
  const expired = days.filter((day) => day < cutoffDay);
  if (run.dryRun !== true) {
    for (const day of expired) {
      if (run.signal?.aborted === true) break;
      if (!(await run.renew())) throw new Error('the purge lease was lost to another process: stopping');
      await store.eraseSubject({
        tenantId,
        subject: fieldKeySubject(field, day),
        erasedBy: RETENTION_ACTOR,
        at: run.now(),
        // Once for the whole run, after it (see runPurge): a wipe per day would hold SQLite's
        // writers off as often.
        scrub: false,
      });
    }
  }
  const kept = days.find((day) => day >= cutoffDay);
  return {
    runId: run.runId,
    tenantId,
    kind: `${table.kind}.${field}`,
    startedAt: run.startedAt,
    cutoff: Date.parse(`${cutoffDay}T00:00:00Z`),
    removed: expired.length,
    oldestKept: kept === undefined ? undefined : Date.parse(`${kept}T00:00:00Z`),
    durationMs: Math.round(performance.now() - started),
    dryRun: run.dryRun === true,
  };
}
