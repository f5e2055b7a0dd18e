import {
  TALLIED_TABLES,
  type AppliedMigration,
  type AuditStore,
  type CommunicationLogRepository,
  type MfaConfigAuditLogRepository,
  type NonceRepository,
  type OperateLogRepository,
  type TableTally,
  type TuyaTokenRepository,
} from '../../domain/audit-store.js';
import { UnavailableError } from '../../domain/errors.js';
import { PgCommunicationLogRepository } from './communication-log-repository.js';
import { applyMigrations } from './migrations.js';
import { PgMfaConfigAuditLogRepository } from './mfa-config-audit-log-repository.js';
import { PgNonceRepository } from './nonce-repository.js';
import { PgOperateLogRepository } from './operate-log-repository.js';
import { PartitionKeeper } from './partitions.js';
import { executorOf, PgPool, withUntimedClient, type PoolSettings } from './pg-executor.js';
import { PgTuyaTokenRepository } from './tuya-token-repository.js';

/**
 * The production store: PostgreSQL 15 or newer through a connection pool. Nothing connects until
 * the first query, so a process starts (and answers /healthz) while the database is down; every
 * query then fails with UnavailableError until it is back, and the pool reconnects by itself.
 */
export class PostgresStore implements AuditStore {
  readonly dialect = 'postgres';
  readonly communicationLogs: CommunicationLogRepository;
  readonly mfaConfigAuditLogs: MfaConfigAuditLogRepository;
  readonly operateLogs: OperateLogRepository;
  readonly tuyaTokens: TuyaTokenRepository;
  readonly nonces: NonceRepository;
  private readonly pool: PgPool;
  private readonly partitions: PartitionKeeper;

  constructor(
    private readonly settings: PoolSettings,
    now: () => number = Date.now,
  ) {
    this.pool = new PgPool(settings);
    this.partitions = new PartitionKeeper(this.pool, now);
    this.communicationLogs = new PgCommunicationLogRepository(this.pool, this.partitions);
    this.mfaConfigAuditLogs = new PgMfaConfigAuditLogRepository(this.pool, this.partitions);
    this.operateLogs = new PgOperateLogRepository(this.pool, this.partitions);
    this.tuyaTokens = new PgTuyaTokenRepository(this.pool);
    this.nonces = new PgNonceRepository(this.pool);
  }

  /**
   * Applies pending migrations under the advisory lock, then creates the coming months' partitions,
   * both on a connection without the request timeouts (see withUntimedClient): partition DDL waits
   * for locks held by running queries.
   */
  async migrate(onApplying?: (migration: AppliedMigration) => void): Promise<AppliedMigration[]> {
    try {
      return await withUntimedClient(this.settings.url, async (client) => {
        const applied = await applyMigrations(client, Infinity, onApplying);
        await this.partitions.prepareAhead(executorOf(client));
        return applied;
      });
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

  close(): Promise<void> {
    return this.pool.close();
  }
}
