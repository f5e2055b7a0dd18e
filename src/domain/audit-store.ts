import type { AfterCommit } from './after-commit.js';
import type { CommunicationLogRepository } from '../kinds/communication-log/communication-log-repository.js';
import type { LogRow, LogTable } from '../kinds/log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { MfaConfigAuditLogRepository } from '../kinds/mfa-config-audit-log/mfa-config-audit-log-repository.js';
import type { OperateLogRepository } from '../kinds/operate-log/operate-log-repository.js';
import type { LogRows } from './log-rows.js';
import type { IntegrityLog } from '../integrity/integrity-log.js';
import type { SubjectErasure } from '../sealing/subject-erasure.js';
import type { PurgeStore } from '../retention/purge-store.js';
import type { StreamStore } from '../streams/stream-store.js';

export type {
  CountedPage,
  HistogramBuckets,
  InsertOutcome,
  KeysetPosition,
  LogRows,
  OffsetWindow,
  ReadOptions,
} from './log-rows.js';

/**
 * The one storage interface of sealog. Each adapter (sqlite/, postgres/) implements it and passes
 * the same contract tests; nothing above this interface knows which store is underneath.
 * Every list is ordered newest first by (time, id), the keyset both paging styles rely on.
 */
export interface AuditStore extends SubjectErasure {
  /** The common rows of any log kind: insert, counted list, keyset page. */
  rows<Row extends LogRow>(table: LogTable<Row>): LogRows<Row>;
  readonly communicationLogs: CommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: OperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  /** The web console's one-time sign-in links and its sessions (src/domain/console-sessions.ts). */
  readonly consoleSessions: ConsoleSessionRepository;
  /** Tenants' own retention periods, set by the platform admin (src/retention/). */
  readonly retentionOverrides: RetentionOverrideRepository;
  /** Tamper evidence: every record a leaf of its (tenant, kind) log, and the logs' checkpoints. */
  readonly integrity: IntegrityLog;
  /** Retention: expired rows removed in batches, with the lease and the reports of each run. */
  readonly purge: PurgeStore;
  /** Log streams: definitions, positions, leases and delivery status (src/streams/). */
  readonly streams: StreamStore;
  /**
   * Applies pending migrations; returns the versions it applied (empty when up to date).
   * `onApplying` hears of each one before it runs: some fill new tables from the rows already
   * stored, a few seconds per million rows.
   */
  migrate(
    onApplying?: (migration: AppliedMigration) => void,
    progress?: DataMigrationProgress,
  ): Promise<AppliedMigration[]>;
  /** Resolves while the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Row counts per table and tenant, to verify a copy between stores: tables in the order of
   * TableTally['table'], tenants ascending by bytes. Reads every table: slow on large stores.
   */
  tally(): Promise<TableTally[]>;
  /** What the store reports about itself for monitoring, read when metrics are scraped. */
  health(): StoreHealth;
  readonly afterCommit: AfterCommit;
  close(): Promise<void>;
}

/** Figures a store reports for metrics; each absent where it does not apply to the store. */
export interface StoreHealth {
  /** Writes sent to the SQLite writer and not answered yet. */
  writerQueueDepth?: number;
  /** Transactions the SQLite writer committed since it started, and the writes they held. */
  groupCommits?: { groups: number; writes: number };
  /** Operate-log rows stored and not yet in SQLite's search index. */
  searchIndexLagRows?: number;
  /** PostgreSQL connections of this process's pool. */
  pool?: { inUse: number; idle: number; waiting: number };
}

/**
 * Hears how a data migration goes (sealing the rows of an older store, numbering their leaves):
 * resumable work over every row, minutes on millions of them.
 */
export interface DataMigrationProgress {
  /** `work` (e.g. `sealing rows`) begins, with `total` rows to go over. */
  begin(work: string, total: number): void;
  /** `rows` more rows are done. */
  advance(rows: number): void;
  /** The work is done. */
  end(): void;
}

export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * The tables AuditStore.tally() counts, in the order it reports them (the same on every store):
 * each kind's table followed by its dependent tables.
 */
export const TALLIED_TABLES: readonly string[] = LOG_TABLES.flatMap((table) => [
  table.table,
  ...(table.dependentTables ?? []),
]);

/** Number of rows one tenant has in one table. */
export interface TableTally {
  table: string;
  tenantId: string;
  rows: number;
}

/** One issued pair of Tuya tokens, identified by their SHA-256 hashes. */
export interface TuyaTokenPair {
  accessHash: string;
  refreshHash: string;
  clientId: string;
  uid: string;
  /** Epoch ms. */
  issuedAt: number;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  /** Epoch ms when a refresh ended the pair; null while live. */
  revokedAt: number | null;
}

export interface TuyaTokenRepository {
  insert(pair: TuyaTokenPair): Promise<void>;
  findByAccessHash(accessHash: string): Promise<TuyaTokenPair | undefined>;
  /**
   * Atomically ends the live, unexpired pair holding `refreshHash` for `clientId` and stores `next`.
   * Returns false (storing nothing) when there is no such pair, so a refresh token works once.
   */
  rotate(clientId: string, refreshHash: string, next: TuyaTokenPair, nowMs: number): Promise<boolean>;
}

export interface NonceRepository {
  /**
   * Records a request nonce until `expiresAt` (epoch ms). Returns false when the same client
   * already used it and it has not expired: a replay. Expired nonces are forgotten.
   */
  remember(clientId: string, nonce: string, expiresAt: number, nowMs: number): Promise<boolean>;
}

/** Whom a console sign-in link or session acts as: the principal of every request it authenticates. */
export interface ConsoleGrant {
  /** The user id (a token's `sub`). */
  subject: string;
  /** The tenant; null for a platform admin. */
  tenantId: string | null;
  roles: string[];
}

/** A one-time console sign-in link, identified by the SHA-256 (hex) of its secret. */
export interface ConsoleLink extends ConsoleGrant {
  linkHash: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; the link is refused from then on. */
  expiresAt: number;
}

/** A console session, identified by the SHA-256 (hex) of its id (the cookie's value). */
export interface ConsoleSession extends ConsoleGrant {
  sessionHash: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; the session authenticates nothing from then on. */
  expiresAt: number;
}

/** A session about to be made from a link: its grant comes from the link. */
export type NewConsoleSession = Pick<ConsoleSession, 'sessionHash' | 'createdAt' | 'expiresAt'>;

/**
 * The console's links and sessions, stored by their hashes only, so that neither the store nor a
 * backup of it holds a usable credential. Rows that expired are removed whenever a link or session
 * is stored.
 */
export interface ConsoleSessionRepository {
  /** Stores a new link (forgetting expired links and sessions). */
  insertLink(link: ConsoleLink, nowMs: number): Promise<void>;
  /**
   * Atomically removes the link of `linkHash` and, if it had not expired at `nowMs`, stores
   * `session` with the link's grant. Returns the session stored; undefined (storing nothing) when
   * there is no such link, it was used already or it expired: a link works once.
   */
  redeemLink(
    linkHash: string,
    session: NewConsoleSession,
    nowMs: number,
  ): Promise<ConsoleSession | undefined>;
  /** Stores a new session (forgetting expired links and sessions). */
  insertSession(session: ConsoleSession, nowMs: number): Promise<void>;
  /** The session of `sessionHash` if it has not expired at `nowMs`; undefined otherwise. */
  findSession(sessionHash: string, nowMs: number): Promise<ConsoleSession | undefined>;
  /** Ends the session of `sessionHash` (removes it); false when there was none. */
  deleteSession(sessionHash: string): Promise<boolean>;
}

/** One tenant's own retention period for one policy key (a kind, or a field of one). */
export interface RetentionOverride {
  /** e.g. `communication-logs` or `communication-logs.content`. */
  policyKey: string;
  /** As the API took it: `<n>d`, `<n>h` or `forever`. */
  period: string;
  /** Epoch ms of the last change. */
  updatedAt: number;
  /** The `sub` of the token that made it. */
  updatedBy: string;
}

/** One change of a tenant's overrides: set the key's period, or with null remove its override. */
export interface RetentionOverrideChange {
  policyKey: string;
  period: string | null;
}

/**
 * Tenants' retention overrides, stored as given: the store knows nothing of periods or keys
 * (src/retention/ checks them before they are put).
 */
export interface RetentionOverrideRepository {
  /** The tenant's overrides, by policy key ascending; empty when it has none. */
  get(tenantId: string): Promise<RetentionOverride[]>;
  /** Applies every change of `changes` in one transaction: all of them or none. */
  put(
    tenantId: string,
    changes: readonly RetentionOverrideChange[],
    updatedBy: string,
    nowMs: number,
  ): Promise<void>;
  /** Every tenant with at least one override, tenants ascending by bytes, keys ascending. */
  list(): Promise<{ tenantId: string; overrides: RetentionOverride[] }[]>;
}
