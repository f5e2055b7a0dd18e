import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { AfterCommit } from '../../domain/after-commit.js';
import type {
  AppliedMigration,
  DataMigrationProgress,
  AuditStore,
  ConsoleSessionRepository,
  LogRows,
  NonceRepository,
  RetentionOverrideRepository,
  StoreHealth,
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
import { SqliteConsoleSessionRepository } from './tables/console-session-repository.js';
import { asPromise } from './engine/as-promise.js';
import { applyMigrations, knownMigrations } from './migrations.js';
import { SqliteNonceRepository } from './tables/nonce-repository.js';
import { SqliteOperateLogRepository } from './tables/operate-log-repository.js';
import { SqliteRetentionOverrideRepository } from './tables/retention-override-repository.js';
import { SearchIndexer, type SearchIndexTuning } from './search/search-indexer.js';
import { SqliteLogRows } from './tables/sqlite-log-rows.js';
import { tallyTables } from './tables/table-tally.js';
import { openStoreConnection } from './engine/store-connection.js';
import { threadError, type BackgroundFailureListener } from './engine/background-failure.js';
import { ForwardedWriter, type WriteChannel } from './engine/forwarded-writer.js';
import { PublishingWriter } from './engine/publishing-writer.js';
import type { WriteRequest } from './engine/pending-writes.js';
import { SearchReader } from './search/search-reader.js';
import { SqliteKeywordPages } from './search/keyword-pages.js';
import { InThreadWriter, type StoreWriter } from './engine/store-writer.js';
import { SqliteTuyaTokenRepository } from './tables/tuya-token-repository.js';
import { WriterThread } from './engine/writer-thread.js';
import { ephemeralMasterKeys, loadMasterKeys, type MasterKeys } from '../../sealing/master-keys.js';
import { PlaintextCache } from '../../sealing/plaintext-cache.js';
import { RowSealer } from '../../sealing/row-sealer.js';
import { ErasureFollower } from '../../sealing/erasure-follower.js';
import { erasureOutcome, type ErasureOutcome, type ErasureRequest } from '../../sealing/subject-erasure.js';
import { SqliteErasureSource } from './tables/subject-erasure-repository.js';
import { FIELD_KEY_MARK } from '../../sealing/personal-fields.js';
import { scanSubjectOperateLogs } from './tables/subject-erasure-scan.js';
import { SqlitePurgeStore } from './tables/purge-repository.js';
import { SubjectKeyRing } from '../../sealing/subject-key-ring.js';
import { SqliteSubjectKeyRepository } from './tables/subject-key-repository.js';
import { checkMasterKeys, registerMasterKeys } from './tables/master-key-registry.js';
import { SqliteStreamRepository } from './tables/stream-repository.js';
import { sealExistingRows } from './tables/seal-existing-rows.js';
import { SqliteIntegrityStore } from './integrity/sqlite-integrity-store.js';
import { SqliteLeafReader } from './integrity/sqlite-leaf-reader.js';
import { backfillLeaves } from './integrity/leaf-backfill.js';
import { SequencerLoop } from '../../integrity/sequencing/sequencer-loop.js';
import { TreeBuilder } from '../../integrity/sequencing/tree-builder.js';

/** How a SqliteStore is opened beyond its path. */
export interface SqliteStoreOptions {
  /** The indexer's pace (tests shrink it). */
  searchTuning?: SearchIndexTuning;
  /**
   * Set in a process that serves reads beside the one holding the writer (WORKERS): writes go
   * through this channel, and the store neither migrates nor indexes (the writer's process does).
   */
  writeChannel?: WriteChannel;
  /** Hears of failures of the writer thread, its checkpointer and the search indexer (logged by the app). */
  onBackgroundFailure?: BackgroundFailureListener;
  /**
   * The master keys wrapping subject keys (DATA_KEY); by default those of `data-keys` beside the
   * store file (generated on first use), or a key in memory for an in-memory store.
   */
  masterKeys?: MasterKeys;
  /** Bytes of opened personal fields kept in memory (SEALED_CACHE_MB); 32 MiB by default. */
  sealedCacheBytes?: number;
}

/**
 * The embedded store: one SQLite file in WAL mode. `synchronous = FULL` makes every acknowledged
 * batch survive a power cut; group commit shares one fsync among the batches of concurrent requests.
 * Reads run on the event loop's connection; writes on the writer thread's (writer-thread.ts), which
 * also checkpoints the WAL; the trigram index on the search indexer's (search-indexer.ts).
 *
 * Several processes may read one file (WAL readers never block each other or the writer): one opens
 * it with the writer and serves the others' writes (serveWrite); the others open it with a
 * `writeChannel` to it. Every commit is then published to the after-commit seam of the writer's
 * process only.
 */
export class SqliteStore implements AuditStore {
  readonly afterCommit = new AfterCommit();
  readonly communicationLogs: SqliteCommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: SqliteOperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly retentionOverrides: RetentionOverrideRepository;
  private readonly db: Database.Database;
  private indexer: SearchIndexer | undefined;
  /** The search file's reader of a store that reads beside the writer's process. */
  private searchReader: SearchReader | undefined;
  private readonly writer: StoreWriter;
  /** Runs writes sent by other processes; undefined in a store that forwards its own. */
  private readonly localWriter: PublishingWriter | undefined;
  private readonly searchTuning: SearchIndexTuning | undefined;
  private readonly onBackgroundFailure: BackgroundFailureListener | undefined;
  private readonly tables = new Map<string, SqliteLogRows<LogRow>>();
  /** key_words searches of the tables with a search copy, through the search file. */
  private readonly keywords = new SqliteKeywordPages(() => this.indexer?.reader ?? this.searchReader);
  /** Seals rows before they are stored and opens them as they are read (src/sealing/). */
  private readonly sealer: RowSealer;
  /** The integrity log's tiles, states and checkpoints (src/integrity/). */
  readonly integrity: SqliteIntegrityStore;
  readonly purge: SqlitePurgeStore;
  readonly streams: SqliteStreamRepository;
  /** Hashes numbered leaves into their trees; runs where the writer is, after migrate(). */
  private sequencer: SequencerLoop | undefined;
  private readonly masterKeys: MasterKeys;
  /** Drops cached keys of subjects other processes erase; runs once the schema is known. */
  private erasures: ErasureFollower | undefined;

  /**
   * Opens (creating if needed) the database file at `path` and starts its writer thread; the
   * schema is created by migrate(), which also starts the search indexer. An in-memory store
   * (`:memory:`) writes on the event loop: no other thread can see it.
   */
  constructor(
    private readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.searchTuning = options.searchTuning;
    this.onBackgroundFailure = options.onBackgroundFailure;
    this.db = openStoreConnection(path);
    this.masterKeys =
      options.masterKeys ??
      (path === ':memory:' ? ephemeralMasterKeys() : loadMasterKeys(undefined, dirname(path)));
    this.sealer = new RowSealer(
      new SubjectKeyRing(new SqliteSubjectKeyRepository(this.db), this.masterKeys),
      new PlaintextCache({ maxBytes: options.sealedCacheBytes }),
    );
    // An in-memory store cannot be shared: it keeps its own writer even when given a channel.
    if (options.writeChannel !== undefined && path !== ':memory:') {
      this.writer = new ForwardedWriter(options.writeChannel);
    } else {
      const local =
        path === ':memory:'
          ? new InThreadWriter(this.db)
          : new WriterThread(path, options.onBackgroundFailure);
      this.localWriter = new PublishingWriter(local, this.afterCommit);
      this.writer = this.localWriter;
    }
    this.communicationLogs = new SqliteCommunicationLogRepository(
      this.logRows(COMMUNICATION_LOG_TABLE),
      this.writer,
    );
    this.mfaConfigAuditLogs = mfaConfigAuditLogRepository(this.rows(MFA_CONFIG_AUDIT_LOG_TABLE));
    this.operateLogs = new SqliteOperateLogRepository(this.logRows(OPERATE_LOG_TABLE), this.keywords);
    this.integrity = new SqliteIntegrityStore(this.db, this.writer);
    this.purge = new SqlitePurgeStore(this.db, this.writer);
    this.streams = new SqliteStreamRepository(this.db, this.writer, this.masterKeys);
    this.tuyaTokens = new SqliteTuyaTokenRepository(this.db, this.writer);
    this.nonces = new SqliteNonceRepository(this.writer);
    this.consoleSessions = new SqliteConsoleSessionRepository(this.db, this.writer);
    this.retentionOverrides = new SqliteRetentionOverrideRepository(this.db, this.writer);
  }

  rows<Row extends LogRow>(table: LogTable<Row>): LogRows<Row> {
    return this.logRows(table);
  }

  /** The one SqliteLogRows of `table` (made on first use). */
  private logRows<Row extends LogRow>(table: LogTable<Row>): SqliteLogRows<Row> {
    let rows = this.tables.get(table.table);
    if (rows === undefined) {
      const keywords = table.sealing.searchCopy === undefined ? undefined : this.keywords;
      rows = new SqliteLogRows<LogRow>(this.db, table, this.writer, this.sealer, keywords);
      this.tables.set(table.table, rows);
    }
    // Made from this very table description, so its rows are Row.
    return rows as unknown as SqliteLogRows<Row>;
  }

  /**
   * Runs a write another process sent (see SqliteStoreOptions.writeChannel) on this store's
   * writer, published to this store's seam like its own; resolves with the value to send back.
   */
  serveWrite(request: WriteRequest): Promise<unknown> {
    if (this.localWriter === undefined) {
      return Promise.reject(new Error('this store forwards its writes: it cannot serve another process’s'));
    }
    return this.localWriter.runRequest(request.command);
  }

  async migrate(
    onApplying?: (migration: AppliedMigration) => void,
    progress?: DataMigrationProgress,
  ): Promise<AppliedMigration[]> {
    if (this.localWriter === undefined) {
      const checked = this.openAsReader();
      await this.followErasures();
      return checked;
    }
    const applied = applyMigrations(this.db, Infinity, onApplying);
    registerMasterKeys(this.db, this.masterKeys);
    // Rows stored before sealing existed; none once sealed (the partial indexes find them at once).
    await sealExistingRows(this.db, this.sealer, progress);
    // Then rows stored before the integrity log: they take its first leaves.
    backfillLeaves(this.db, progress);
    if (this.sequencer === undefined) {
      const builder = new TreeBuilder(this.integrity, new SqliteLeafReader(this.db));
      this.sequencer = new SequencerLoop(
        () => builder.catchUp(),
        (error) => this.onBackgroundFailure?.('integrity sequencer', threadError(error)),
      );
      // Not woken by commits: a write hashes its own leaves (inline-tree-growth.ts), so the loop
      // only sweeps up, on its ticks, what a write left behind (a backfill, an imported history).
      this.sequencer.start();
    }
    // The worker thread needs a file to read: an in-memory store searches by scanning.
    if (this.path !== ':memory:' && this.indexer === undefined) {
      this.indexer = new SearchIndexer(this.db, this.path, this.searchTuning, this.onBackgroundFailure);
      this.afterCommit.subscribe(this.indexer.subscriber, this.indexer.subscription);
    }
    await this.followErasures();
    return applied;
  }

  private async followErasures(): Promise<void> {
    if (this.erasures !== undefined) return;
    this.erasures = new ErasureFollower(new SqliteErasureSource(this.db), this.sealer, (error) =>
      this.onBackgroundFailure?.('erasure follower', threadError(error)),
    );
    await this.erasures.start();
  }

  async eraseSubject(request: ErasureRequest): Promise<ErasureOutcome> {
    // A field's period key (a purge expiring a day) is no record's subject: nothing to scan for.
    const operateLogs = request.subject.startsWith(FIELD_KEY_MARK)
      ? { seqs: [], through: Number.MAX_SAFE_INTEGER }
      : await scanSubjectOperateLogs(this.db, request.tenantId, request.subject);
    const erased = await this.writer.run({ type: 'erase-subject', request, operateLogs });
    this.sealer.forgetErased(request.tenantId, request.subject, erased.keyIds);
    const scrubbed = await this.writer.run({
      type: 'scrub-erased',
      searchSeqs: erased.searchSeqs,
      truncate: request.scrub !== false,
    });
    return erasureOutcome(request, erased, scrubbed && request.scrub !== false);
  }

  scrubErased(): Promise<boolean> {
    return this.writer.run({ type: 'scrub-erased', searchSeqs: [], truncate: true });
  }

  /**
   * A forwarding store migrates nothing: the writer's process has; it checks the schema is the one
   * this code knows and opens the search file the writer's indexer keeps.
   */
  private openAsReader(): AppliedMigration[] {
    const { version } = this.db
      .prepare('SELECT coalesce(max(version), 0) AS version FROM schema_migrations')
      .get() as {
      version: number;
    };
    const latest = Math.max(...knownMigrations().map((migration) => migration.version));
    if (version !== latest) {
      throw new Error(
        `the store's schema is at version ${version}, this sealog knows ${latest}: the process holding the writer migrates it first`,
      );
    }
    this.searchReader ??= new SearchReader(this.path);
    checkMasterKeys(this.db, this.masterKeys);
    return [];
  }

  health(): StoreHealth {
    return {
      writerQueueDepth: this.writer.queueDepth(),
      ...(this.localWriter === undefined ? {} : { groupCommits: this.localWriter.groupCommits() }),
      ...(this.indexer === undefined ? {} : { searchIndexLagRows: this.indexer.pendingRows() }),
    };
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
    await this.erasures?.stop();
    await this.sequencer?.stop();
    // The indexer's stop settles the notification it may be holding, so the seam can close.
    const seamClosed = this.afterCommit.close();
    await this.indexer?.close();
    await seamClosed;
    // The writer's connection goes first, so that closing the last one checkpoints the WAL and
    // removes it.
    await this.writer.close();
    this.searchReader?.close();
    this.db.close();
  }
}
