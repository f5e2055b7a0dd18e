import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AppliedMigration,
  AuditStore,
  CommunicationLogRepository,
  MfaConfigAuditLogRepository,
  NonceRepository,
  OperateLogRepository,
  TableTally,
  TuyaTokenRepository,
} from '../audit-store.js';
import { SqliteCommunicationLogRepository } from './communication-log-repository.js';
import { asPromise } from './as-promise.js';
import { GroupCommit } from './group-commit.js';
import { applyMigrations } from './migrations.js';
import { SqliteMfaConfigAuditLogRepository } from './mfa-config-audit-log-repository.js';
import { SqliteNonceRepository } from './nonce-repository.js';
import { SqliteOperateLogRepository } from './operate-log-repository.js';
import { SearchIndexer } from './search-indexer.js';
import { tallyTables } from './table-tally.js';
import { SqliteTuyaTokenRepository } from './tuya-token-repository.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/**
 * The embedded store: one SQLite file in WAL mode. `synchronous = FULL` makes every acknowledged
 * batch survive a power cut; group commit shares one fsync among the batches of concurrent requests.
 */
export class SqliteStore implements AuditStore {
  readonly dialect = 'sqlite';
  readonly communicationLogs: CommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: OperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  /** Maintains the operate_content substring index in the background. */
  readonly searchIndexer: SearchIndexer;
  private readonly db: Database.Database;
  private readonly checkpointer: WalCheckpointer | undefined;

  /**
   * Opens (creating if needed) the database file at `path` and starts its WAL checkpointer thread;
   * the schema is created by migrate().
   */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // A reset WAL is truncated back to 64 MiB rather than keeping the size of its busiest moment.
    this.db.pragma('journal_size_limit = 67108864');
    if (path !== ':memory:') this.checkpointer = new WalCheckpointer(this.db, path);
    const writes = new GroupCommit(this.db);
    this.communicationLogs = new SqliteCommunicationLogRepository(this.db, writes);
    this.mfaConfigAuditLogs = new SqliteMfaConfigAuditLogRepository(this.db, writes);
    this.searchIndexer = new SearchIndexer(this.db);
    this.operateLogs = new SqliteOperateLogRepository(this.db, this.searchIndexer, writes);
    this.tuyaTokens = new SqliteTuyaTokenRepository(this.db);
    this.nonces = new SqliteNonceRepository(this.db);
  }

  migrate(onApplying?: (migration: AppliedMigration) => void): Promise<AppliedMigration[]> {
    return asPromise(() => {
      const applied = applyMigrations(this.db, Infinity, onApplying);
      // Catches up on rows a previous process appended but did not index.
      this.searchIndexer.schedule();
      return applied;
    });
  }

  ping(): Promise<void> {
    return asPromise(() => {
      this.db.prepare('SELECT 1').get();
    });
  }

  /** Tables in the order communication logs, their transitions, MFA logs, operate logs; tenants in byte order. */
  tally(): Promise<TableTally[]> {
    return asPromise(() => tallyTables(this.db));
  }

  async close(): Promise<void> {
    this.searchIndexer.stop();
    // The checkpointer's connection goes first, so that closing the last one checkpoints the WAL
    // and removes it.
    await this.checkpointer?.stop();
    this.db.close();
  }
}
