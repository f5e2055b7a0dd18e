import { AfterCommit } from '../../domain/after-commit.js';
import {
  type StoreHealth,
  TALLIED_TABLES,
  type AppliedMigration,
  type DataMigrationProgress,
  type AuditStore,
  type ConsoleSessionRepository,
  type LogRows,
  type NonceRepository,
  type RetentionOverrideRepository,
  type TableTally,
  type TuyaTokenRepository,
} from '../../domain/audit-store.js';
import { UnavailableError } from '../../domain/errors.js';
import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import type { LogRow, LogTable } from '../../kinds/log-table.js';
import {
  mfaConfigAuditLogRepository,
  type MfaConfigAuditLogRepository,
} from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-repository.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from '../../kinds/operate-log/operate-log-table.js';
import { PgCommunicationLogRepository } from './communication-log-repository.js';
import { PgConsoleSessionRepository } from './console-session-repository.js';
import { applyMigrations, MIGRATION_LOCK_KEY } from './migrations.js';
import { PgIntegrityStore } from './integrity/pg-integrity-store.js';
import { PgLeafReader } from './integrity/pg-leaf-reader.js';
import { PgSequencer } from './integrity/pg-sequencer.js';
import { backfillLeaves } from './integrity/pg-leaf-backfill.js';
import { SequencerLoop } from '../../integrity/sequencing/sequencer-loop.js';
import { PgNonceRepository } from './nonce-repository.js';
import { PgOperateLogRepository } from './operate-log-repository.js';
import { PgKeywordPages } from './keyword-pages.js';
import { PgRetentionOverrideRepository } from './retention-override-repository.js';
import { PartitionKeeper } from './partitions.js';
import { distributeOnCitus, type CitusDistribution, type CitusOptions } from './citus/citus-distribution.js';
import { executorOf, PgPool, withUntimedClient, type PoolSettings } from './pg-executor.js';
import { PgLogRows } from './pg-log-rows.js';
import { TenantIngest } from './citus/tenant-ingest.js';
import { PgTuyaTokenRepository } from './tuya-token-repository.js';
import { loadMasterKeys, type MasterKeys } from '../../sealing/master-keys.js';
import { PlaintextCache } from '../../sealing/plaintext-cache.js';
import { RowSealer } from '../../sealing/row-sealer.js';
import { ErasureFollower } from '../../sealing/erasure-follower.js';
import { erasureOutcome, type ErasureOutcome, type ErasureRequest } from '../../sealing/subject-erasure.js';
import { eraseInTransaction, PgErasureSource, vacuumSubjectKeys, vacuumTables } from './subject-erasure.js';
import { PgPurgeStore } from './purge-repository.js';
import { PgStreamRepository } from './stream-repository.js';
import { SubjectKeyRing } from '../../sealing/subject-key-ring.js';
import type { StoreSealingOptions } from '../../sealing/store-sealing.js';
import { PgSubjectKeyRepository } from './subject-key-repository.js';
import { registerMasterKeys } from './master-key-registry.js';
import { sealExistingRows } from './seal-existing-rows.js';

/** How a PostgresStore is opened beyond its pool settings. */
export interface PostgresStoreOptions extends StoreSealingOptions {
  /** Hears of failures of background work (the integrity sequencer), logged by the app. */
  onBackgroundFailure?: (component: string, error: Error) => void;
  /**
   * Whether this process takes part in numbering and hashing leaves once migrated (default true).
   * `sealog copy` does not: it brings its leaves numbered and hashes its own logs.
   */
  sequencing?: boolean | undefined;
  /** How migrate() lays the schema out on a Citus coordinator (nothing on plain PostgreSQL). */
  citus?: CitusOptions | undefined;
}

/**
 * The production store: PostgreSQL 15 or newer through a connection pool. Nothing connects until
 * the first query, so a process starts (and answers /healthz) while the database is down; every
 * query then fails with UnavailableError until it is back, and the pool reconnects by itself.
 */
export class PostgresStore implements AuditStore {
  readonly afterCommit = new AfterCommit();
  readonly communicationLogs: PgCommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: PgOperateLogRepository;
  /** key_words searches of the tables with a search copy. */
  private readonly keywords: PgKeywordPages;
  /** Routes ingest batches to the workers tenant by tenant on a Citus coordinator. */
  private readonly tenantIngest: TenantIngest;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly retentionOverrides: RetentionOverrideRepository;
  private readonly pool: PgPool;
  private readonly partitions: PartitionKeeper;
  private readonly tables = new Map<string, PgLogRows<LogRow>>();
  /** Seals rows before they are stored and opens them as they are read (src/sealing/). */
  private readonly sealer: RowSealer;
  private readonly masterKeys: MasterKeys;
  /** The integrity log's tiles, states and checkpoints (src/integrity/). */
  readonly integrity: PgIntegrityStore;
  readonly purge: PgPurgeStore;
  readonly streams: PgStreamRepository;
  /** Numbers and hashes leaves while this process is the schema's sequencer; runs after migrate(). */
  private sequencerLoop: SequencerLoop | undefined;
  private sequencer: PgSequencer | undefined;
  /** Drops cached keys of subjects other processes erase; runs after migrate(). */
  private erasures: ErasureFollower | undefined;
  private readonly onBackgroundFailure: (component: string, error: Error) => void;
  private readonly sequencing: boolean;
  private readonly citusOptions: CitusOptions | undefined;
  /** What the last migrate() did on Citus; undefined on plain PostgreSQL or before it ran. */
  citus: CitusDistribution | undefined;

  /**
   * `sealing.masterKeys` wrap the subject keys (DATA_KEY); by default those of ./data/data-keys,
   * generated on first use (every process of one database needs the same: set DATA_KEY).
   */
  constructor(
    private readonly settings: PoolSettings,
    now: () => number = Date.now,
    options: PostgresStoreOptions = {},
  ) {
    this.pool = new PgPool(settings);
    this.keywords = new PgKeywordPages(this.pool);
    this.onBackgroundFailure = options.onBackgroundFailure ?? (() => undefined);
    this.sequencing = options.sequencing ?? true;
    this.citusOptions = options.citus;
    this.masterKeys = options.masterKeys ?? loadMasterKeys(undefined, './data');
    this.sealer = new RowSealer(
      new SubjectKeyRing(new PgSubjectKeyRepository(this.pool), this.masterKeys),
      new PlaintextCache({ maxBytes: options.sealedCacheBytes }),
    );
    this.partitions = new PartitionKeeper(
      (work) => withUntimedClient(settings.url, (client) => work(executorOf(client))),
      now,
      (error) => {
        this.onBackgroundFailure('partitions', error);
      },
    );
    this.integrity = new PgIntegrityStore(this.pool);
    this.tenantIngest = new TenantIngest(this.pool, this.integrity.onCitus);
    this.communicationLogs = new PgCommunicationLogRepository(
      this.pool,
      this.logRows(COMMUNICATION_LOG_TABLE),
    );
    this.mfaConfigAuditLogs = mfaConfigAuditLogRepository(this.rows(MFA_CONFIG_AUDIT_LOG_TABLE));
    this.operateLogs = new PgOperateLogRepository(this.logRows(OPERATE_LOG_TABLE), this.keywords);
    this.purge = new PgPurgeStore(
      this.pool,
      (work) => this.pool.transaction(work),
      (tables) => vacuumTables(this.settings.url, tables),
    );
    this.streams = new PgStreamRepository(this.pool, this.masterKeys);
    this.tuyaTokens = new PgTuyaTokenRepository(this.pool);
    this.nonces = new PgNonceRepository(this.pool);
    this.consoleSessions = new PgConsoleSessionRepository(this.pool);
    this.retentionOverrides = new PgRetentionOverrideRepository(this.pool);
  }

  rows<Row extends LogRow>(table: LogTable<Row>): LogRows<Row> {
    return this.logRows(table);
  }

  /** The one PgLogRows of `table` (made on first use). */
  private logRows<Row extends LogRow>(table: LogTable<Row>): PgLogRows<Row> {
    let rows = this.tables.get(table.table);
    if (rows === undefined) {
      const keywords = table.sealing.searchCopy === undefined ? undefined : this.keywords;
      rows = new PgLogRows<LogRow>(
        this.pool,
        this.partitions,
        table,
        this.afterCommit,
        this.sealer,
        keywords,
        this.tenantIngest,
      );
      this.tables.set(table.table, rows);
    }
    // Made from this very table description, so its rows are Row.
    return rows as unknown as PgLogRows<Row>;
  }

  /**
   * Applies pending migrations under the advisory lock, then creates the coming months' partitions,
   * both on a connection without the request timeouts (see withUntimedClient): partition DDL waits
   * for locks held by running queries.
   */
  async migrate(
    onApplying?: (migration: AppliedMigration) => void,
    progress?: DataMigrationProgress,
  ): Promise<AppliedMigration[]> {
    try {
      const applied = await withUntimedClient(this.settings.url, async (client) => {
        const applied = await applyMigrations(client, Infinity, onApplying);
        const db = executorOf(client);
        await registerMasterKeys(db, this.masterKeys);
        // By one process at a time: the schema laid out on Citus (each table distributed once),
        // then rows stored before this version sealed and numbered first in their logs.
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          this.citus = await distributeOnCitus(client, this.citusOptions);
          await sealExistingRows(db, this.sealer, progress);
          // The sequencer's anti-join against integrity_leaves keeps a plan made for the table
          // as it was: after a backfill of millions of leaves, one for an empty table stalls it
          // for minutes until autovacuum gets round to analyzing.
          if ((await backfillLeaves(db, progress)) > 0) await client.query('ANALYZE integrity_leaves');
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
        await this.partitions.ensure([], db);
        this.partitions.start();
        if (this.sequencing) this.startSequencer();
        return applied;
      });
      await this.followErasures();
      return applied;
    } catch (error) {
      // Start-up and `sealog migrate` say where they tried; the host is no secret, the password is.
      if (!(error instanceof UnavailableError)) throw error;
      const url = new URL(this.settings.url);
      const where = `PostgreSQL at ${url.hostname || 'localhost'}:${url.port || '5432'}`;
      if (error.reason === 'timeout') {
        throw new UnavailableError(
          `${where} cancelled a migration statement (a statement_timeout set on the database or role, ` +
            'or an operator cancelled it): clear that timeout for sealog and start again',
          'timeout',
        );
      }
      throw new UnavailableError(`${where} does not answer: check DATABASE_URL and that the database runs`);
    }
  }

  /** Starts taking part in sequencing (once): the process holding the lock numbers and hashes. */
  private startSequencer(): void {
    if (this.sequencerLoop !== undefined) return;
    const sequencer = new PgSequencer(
      this.settings.url,
      this.integrity,
      new PgLeafReader(this.pool, this.integrity.onCitus),
    );
    this.sequencer = sequencer;
    this.sequencerLoop = new SequencerLoop(
      () => sequencer.step(),
      (error) => {
        this.onBackgroundFailure(
          'integrity sequencer',
          error instanceof Error ? error : new Error(String(error)),
        );
      },
    );
    const { subscriber, options } = this.sequencerLoop.subscriber();
    this.afterCommit.subscribe(subscriber, options);
    this.sequencerLoop.start();
  }

  private async followErasures(): Promise<void> {
    if (this.erasures !== undefined) return;
    this.erasures = new ErasureFollower(new PgErasureSource(this.pool), this.sealer, (error) => {
      this.onBackgroundFailure('erasure follower', error instanceof Error ? error : new Error(String(error)));
    });
    await this.erasures.start();
  }

  async eraseSubject(request: ErasureRequest): Promise<ErasureOutcome> {
    const erased = await eraseInTransaction(this.pool, request);
    this.sealer.forgetErased(request.tenantId, request.subject, erased.keyIds);
    if (request.scrub !== false) await vacuumSubjectKeys(this.settings.url);
    return erasureOutcome(request, erased, request.scrub !== false);
  }

  async scrubErased(): Promise<boolean> {
    await vacuumSubjectKeys(this.settings.url);
    return true;
  }

  health(): StoreHealth {
    return { pool: this.pool.usage() };
  }

  ping(): Promise<void> {
    return this.pool.ping();
  }

  /** Tables in the order of TableTally['table'], tenants ascending (bytewise, as on SQLite). */
  tally(): Promise<TableTally[]> {
    const counts = TALLIED_TABLES.map(
      (table, position) =>
        `SELECT ${position} AS position, '${table}' AS "table", tenant_id AS "tenantId", count(*) AS rows
           FROM ${table} GROUP BY tenant_id`,
    );
    return this.pool.query<TableTally>(
      `SELECT "table", "tenantId", rows FROM (${counts.join(' UNION ALL ')}) AS tally
        ORDER BY position, "tenantId"`,
    );
  }

  async close(): Promise<void> {
    await this.erasures?.stop();
    // Closing first ends the sequencer's session, so a pass waiting on a silent database ends too;
    // resigning after the loop stopped ends one its last pass may have opened.
    await this.sequencer?.close();
    await this.sequencerLoop?.stop();
    await this.sequencer?.resign();
    await this.partitions.close();
    await this.afterCommit.close();
    await this.pool.close();
  }
}
