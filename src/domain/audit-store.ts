import type {
  Channel,
  CommunicationLog,
  DeliveryStatus,
  MfaConfigAuditLog,
  OperateLog,
  StatusTransition,
} from './records.js';

/** How one key_words query is answered (see storage/keyword-plan.ts for the rule). */
export type KeywordPlan = 'scan-time-index' | 'trigram-index';

/**
 * The one storage interface of sealog. Each adapter (sqlite/, postgres/) implements it and passes
 * the same contract tests; nothing above this interface knows which store is underneath.
 * Every list is ordered newest first by (time, id), the keyset both paging styles rely on.
 */
export interface AuditStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly communicationLogs: CommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: OperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  /**
   * Applies pending migrations; returns the versions it applied (empty when up to date).
   * `onApplying` hears of each one before it runs: some fill new tables from the rows already
   * stored, a few seconds per million rows.
   */
  migrate(onApplying?: (migration: AppliedMigration) => void): Promise<AppliedMigration[]>;
  /** Resolves while the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Row counts per table and tenant, to verify a copy between stores: tables in the order of
   * TableTally['table'], tenants ascending by bytes. Reads every table: slow on large stores.
   */
  tally(): Promise<TableTally[]>;
  close(): Promise<void>;
}

export interface AppliedMigration {
  version: number;
  name: string;
}

/** The tables AuditStore.tally() counts, in the order it reports them (the same on every store). */
export const TALLIED_TABLES = [
  'communication_logs',
  'communication_log_transitions',
  'mfa_config_audit_logs',
  'operate_logs',
] as const;

/** Number of rows one tenant has in one table. */
export interface TableTally {
  table: (typeof TALLIED_TABLES)[number];
  tenantId: string;
  rows: number;
}

/** A communication log with its delivery-status history (oldest first), as copied between stores. */
export interface CommunicationLogWithHistory {
  log: CommunicationLog;
  transitions: StatusTransition[];
}

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

/** Filters of a communication-log list; an undefined field does not filter. */
export interface CommunicationLogFilter {
  tenantId?: string | undefined;
  userId?: string | undefined;
  channel?: Channel | undefined;
  status?: DeliveryStatus | undefined;
}

export interface CommunicationLogRepository {
  /**
   * Stores the batch in one transaction: all rows or none. A row whose (tenant_id, id) is stored
   * already is skipped, so a retried batch stores nothing twice.
   */
  insertMany(logs: readonly CommunicationLog[]): Promise<InsertOutcome>;
  /** Newest first by (created_at, id). */
  list(filter: CommunicationLogFilter, window: OffsetWindow): Promise<CountedPage<CommunicationLog>>;
  find(tenantId: string, id: string): Promise<CommunicationLog | undefined>;
  /**
   * Moves the log to `transition.to_status` only if its status is still `transition.from_status`
   * (compare-and-set), updating error/response/sent_at (when given) and updated_at, and appends the
   * transition to the log's history, in one transaction. Returns false when the status had changed.
   */
  applyTransition(transition: StatusTransition): Promise<boolean>;
  /** The log's accepted transitions, oldest first. */
  listTransitions(tenantId: string, logId: string): Promise<StatusTransition[]>;
  /**
   * Stores logs together with their histories as another store kept them (`sealog copy`), in one
   * transaction. Idempotent like insertMany: a log stored already is skipped with its history.
   */
  importMany(entries: readonly CommunicationLogWithHistory[]): Promise<InsertOutcome>;
}

/** Filters of an MFA audit-log list; times are epoch ms, `from` inclusive, `until` exclusive. */
export interface MfaConfigAuditLogFilter {
  tenantId?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  operatorId?: string | undefined;
  fromMs?: number | undefined;
  untilMs?: number | undefined;
}

export interface MfaConfigAuditLogRepository {
  /** Same all-or-nothing, idempotent semantics as CommunicationLogRepository.insertMany. */
  insertMany(logs: readonly MfaConfigAuditLog[]): Promise<InsertOutcome>;
  /** Newest first by (timestamp, id). */
  list(filter: MfaConfigAuditLogFilter, window: OffsetWindow): Promise<CountedPage<MfaConfigAuditLog>>;
}

/** Keyset position in the operate-log walk: the last row already returned. */
export interface OperateLogCursor {
  /** Epoch ms. */
  recordTime: number;
  id: string;
}

/** Filters of an operate-log page; times are epoch ms, both ends inclusive. */
export interface OperateLogFilter {
  tenantId: string;
  fromMs?: number | undefined;
  untilMs?: number | undefined;
  operateType?: string | undefined;
  merchantCode?: string | undefined;
  /** Substring of operate_content, case-insensitive for ASCII letters; `%` and `_` are literal. */
  keyWords?: string | undefined;
}

export interface OperateLogRepository {
  /** Same all-or-nothing, idempotent semantics as CommunicationLogRepository.insertMany. */
  insertMany(logs: readonly OperateLog[]): Promise<InsertOutcome>;
  /**
   * Up to `limit` rows newest first by (record_time, id), strictly after `after` when given.
   * Never counts: a page deep in the walk costs what the first one costs.
   */
  page(filter: OperateLogFilter, after: OperateLogCursor | undefined, limit: number): Promise<OperateLog[]>;
  /** How a key_words search for `term` in the tenant's logs is answered now (for tests and benchmarks). */
  keywordPlan(tenantId: string, term: string): Promise<KeywordPlan>;
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
