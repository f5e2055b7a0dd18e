import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { AfterCommit } from '../../domain/after-commit.js';
import type {
  AppliedMigration,
  AuditStore,
  LogRows,
  NonceRepository,
  TableTally,
  TuyaTokenRepository,
} from '../../domain/audit-store.js';
import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import type { LogRow, LogTable } from '../../kinds/log-table.js';
import {
  mfaConfigAuditLogRepository,
  type MfaConfigAuditLogRepository,
} from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-repository.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from '../../kinds/operate-log/operate-log-table.js';
import { SqliteCommunicationLogRepository } from './tables/communication-log-repository.js';
import { asPromise } from './engine/as-promise.js';
import { applyMigrations } from './migrations.js';
import { SqliteNonceRepository } from './tables/nonce-repository.js';
import { SqliteOperateLogRepository } from './tables/operate-log-repository.js';
import { SearchIndexer, type SearchIndexTuning } from './search/search-indexer.js';
import { SqliteLogRows } from './tables/sqlite-log-rows.js';
import { tallyTables } from './tables/table-tally.js';
import { openStoreConnection } from './engine/store-connection.js';
import { InThreadWriter, type StoreWriter } from './engine/store-writer.js';
import { SqliteTuyaTokenRepository } from './tables/tuya-token-repository.js';
import { WriterThread } from './engine/writer-thread.js';

/**
 * The embedded store: one SQLite file in WAL mode. `synchronous = FULL` makes every acknowledged
 * batch survive a power cut; group commit shares one fsync among the batches of concurrent requests.
 * Reads run on the event loop's connection; writes on the writer thread's (writer-thread.ts), which
 * also checkpoints the WAL; the trigram index on the search indexer's (search-indexer.ts).
 */
export class SqliteStore implements AuditStore {
  readonly afterCommit = new AfterCommit();
  readonly communicationLogs: SqliteCommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: SqliteOperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  private readonly db: Database.Database;
  private indexer: SearchIndexer | undefined;
  private readonly writer: StoreWriter;
  private readonly tables = new Map<string, SqliteLogRows<LogRow>>();

  /**
   * Opens (creating if needed) the database file at `path` and starts its writer thread; the
   * schema is created by migrate(), which also starts the search indexer (`searchTuning` is for
   * tests). An in-memory store (`:memory:`) writes on the event loop: no other thread can see it.
   */
  constructor(
    private readonly path: string,
    private readonly searchTuning?: SearchIndexTuning,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = openStoreConnection(path);
    this.writer = path === ':memory:' ? new InThreadWriter(this.db) : new WriterThread(path);
    this.communicationLogs = new SqliteCommunicationLogRepository(
      this.logRows(COMMUNICATION_LOG_TABLE),
      this.writer,
    );
    this.mfaConfigAuditLogs = mfaConfigAuditLogRepository(this.rows(MFA_CONFIG_AUDIT_LOG_TABLE));
    this.operateLogs = new SqliteOperateLogRepository(this.logRows(OPERATE_LOG_TABLE), () => this.indexer);
    this.tuyaTokens = new SqliteTuyaTokenRepository(this.db, this.writer);
    this.nonces = new SqliteNonceRepository(this.writer);
  }

  rows<Row extends LogRow>(table: LogTable<Row>): LogRows<Row> {
    return this.logRows(table);
  }

  /** The one SqliteLogRows of `table` (made on first use). */
  private logRows<Row extends LogRow>(table: LogTable<Row>): SqliteLogRows<Row> {
    let rows = this.tables.get(table.table);
    if (rows === undefined) {
      rows = new SqliteLogRows<LogRow>(this.db, table, this.writer, this.afterCommit);
      this.tables.set(table.table, rows);
    }
    // Made from this very table description, so its rows are Row.
    return rows as unknown as SqliteLogRows<Row>;
  }

  migrate(onApplying?: (migration: AppliedMigration) => void): Promise<AppliedMigration[]> {
    return asPromise(() => {
      const applied = applyMigrations(this.db, Infinity, onApplying);
      // The worker thread needs a file to read: an in-memory store searches by scanning.
      if (this.path !== ':memory:' && this.indexer === undefined) {
        this.indexer = new SearchIndexer(this.db, this.path, this.searchTuning);
        this.afterCommit.subscribe(this.indexer.subscriber, this.indexer.subscription);
      }
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

  /**
   * The trigram indexer of operate_content (in its own file, see search-indexer.ts); undefined
   * before migrate() and for an in-memory store.
   */
  get searchIndexer(): SearchIndexer | undefined {
    return this.indexer;
  }

  async close(): Promise<void> {
    // The indexer's stop settles the notification it may be holding, so the seam can close.
    const seamClosed = this.afterCommit.close();
    await this.indexer?.close();
    await seamClosed;
    // The writer's connection goes first, so that closing the last one checkpoints the WAL and
    // removes it.
    await this.writer.close();
    this.db.close();
  }
}
