import type { IngestRun } from './ingest-scenario.js';
import type { TimedQuery } from './query-scenarios.js';

/** Rows of one kind the purge bench loaded. */
export interface LoadedKind {
  /** LogTable.kind, e.g. `operate-log`. */
  kind: string;
  /** Rows older than the kind's default retention: all of them must go. */
  expired: number;
  /** Rows within it: all of them must stay. */
  recent: number;
}

/** What was in a store before the purge, loaded outside every timed window. */
export interface PurgeLoad {
  kinds: LoadedKind[];
  /** Delivery-status transitions recorded over HTTP on expired communication logs (they go with them). */
  transitions: number;
  /** Record times of the expired rows: from, to (epoch ms). */
  expiredFromMs: number;
  expiredToMs: number;
  /** Seconds the load took (rows, search file, trees), untimed. */
  loadSeconds: number;
}

/** One phase: the hot reads one after another while the paced ingest runs. */
export interface PurgePhase {
  /** Hot reads, one after another on one connection: p50/p99 in ms. */
  reads: TimedQuery[];
  /** The paced ingest during the phase (failedBatches counted, never thrown). */
  ingest: IngestRun;
}

/** What `sealog purge --json` reported and how long it ran. */
export interface PurgeFigures {
  /** Rows the run's reports say it removed, summed over its (tenant, kind) reports. */
  removed: number;
  /** Reports of the run (one per tenant and kind with a retention). */
  logs: number;
  /** Sum of the reports' durationMs, in s: the batches and each log's last look-up. */
  reportSeconds: number;
  /** removed / reportSeconds. */
  rowsPerSecond: number;
  /** The CLI process from spawn to exit, in s: start-up, its dry-run count, the batches, reclaiming space. */
  wallSeconds: number;
  /** removed / wallSeconds. */
  wallRowsPerSecond: number;
  /** Exit code of `sealog purge` (0 expected). */
  exitCode: number | null;
}

/** The state after the purge, read straight from the store. */
export interface PurgeChecks {
  /** removed === the expired rows loaded. */
  removedAllExpired: boolean;
  /** Rows of every kind older than the run's cutoff left in the store (0 expected). */
  expiredLeft: number;
  /** Loaded recent rows still in the store, of `recentLoaded`. */
  recentKept: number;
  recentLoaded: number;
  /** Transitions whose communication log is gone (0 expected). */
  orphanTransitions: number;
  /** Leaves of the loaded kinds whose record is gone (0 expected: the purge drops their numbering). */
  orphanLeaves: number;
  /** PostgreSQL: id claims older than the expired rows' end left (0 expected); null on SQLite (no claim tables). */
  claimsLeft: number | null;
  /** Every check passed. */
  ok: boolean;
}

/** The retention purge under load on one store. */
export interface PurgeStoreResults {
  store: 'sqlite' | 'postgres';
  date: string;
  load: PurgeLoad;
  /** Best ingest rate measured before the phases (4 connections), events/s; null when given by --ingest-rate. */
  bestIngestEventsPerSecond: number | null;
  /** The paced ingest's target in both phases, events/s (half the best rate). */
  ingestTargetEventsPerSecond: number;
  idle: PurgePhase;
  duringPurge: PurgePhase;
  purge: PurgeFigures;
  checks: PurgeChecks;
  /** 1-minute load average of the machine at the start and end of this store's phases. */
  loadAverage: { before: number; after: number };
}

/** A run of `npm run bench:purge`. */
export interface PurgeResults {
  date: string;
  command: string;
  quick: boolean;
  /** Expired rows loaded per store (all kinds). */
  expiredRows: number;
  /** Length of the idle phase, s. */
  idleSeconds: number;
  machine: Record<string, string | number>;
  stores: PurgeStoreResults[];
}
