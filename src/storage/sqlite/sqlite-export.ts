import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { TableTally } from '../../domain/audit-store.js';
import { LOG_TABLES } from '../../kinds/log-tables.js';
import type { CommunicationLogWithHistory } from '../../kinds/communication-log/communication-log-repository.js';
import {
  COMMUNICATION_LOG_TABLE,
  TRANSITION_COLUMNS,
  type StatusTransition,
} from '../../kinds/communication-log/communication-log-table.js';
import type { LogRow, LogTable } from '../../kinds/log-table.js';
import { tallyTables } from './tables/table-tally.js';
import { dirname } from 'node:path';
import { openTransitions } from '../../kinds/communication-log/sealed-history.js';
import { SEALED_COLUMN } from '../../kinds/log-table.js';
import { loadMasterKeys, type MasterKeys } from '../../sealing/master-keys.js';
import { PlaintextCache } from '../../sealing/plaintext-cache.js';
import { RowSealer, type StoredRow } from '../../sealing/row-sealer.js';
import { SubjectKeyRing } from '../../sealing/subject-key-ring.js';
import { SqliteSubjectKeyRepository } from './tables/subject-key-repository.js';

/** A position in a table walk: the (tenant_id, id) of the last row already read. */
export interface ExportKey {
  tenantId: string;
  id: string;
}

/** The file given is missing, not an SQLite database, or not a sealog store. */
export class NotASealogStoreError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} ${reason}`);
    this.name = 'NotASealogStoreError';
  }
}

/** The first kind's table: every sealog store file has it. */
const FIRST_TABLE = LOG_TABLES[0]?.table ?? 'communication_logs';

const TRANSITION_SELECT = TRANSITION_COLUMNS.map(([column]) => column).join(', ');

/**
 * Read-only view of an existing SQLite store file, for moving its rows to another store. Each
 * table is read in batches in (tenant_id, id) byte order, every batch a keyset query strictly
 * after the previous one's last key, so memory holds one batch and a walk can resume from any key.
 * Opening never creates, migrates or writes the database file (like any reader of a WAL database,
 * SQLite may leave an empty -wal and a -shm file beside it). A server may keep writing to the
 * file meanwhile; rows it adds behind a walk's position are not seen by that walk.
 */
export class SqliteExport {
  private readonly db: Database.Database;
  /** The tables the file has. */
  private tables = new Set<string>();
  /** Opens sealed rows; made when first needed (a store older than sealing needs no key). */
  private sealer: RowSealer | undefined;

  /**
   * Throws NotASealogStoreError when `path` is missing or holds no sealog schema. `masterKeys`
   * open its sealed fields (DATA_KEY); by default those of `data-keys` beside the file.
   */
  constructor(
    readonly path: string,
    private readonly masterKeys?: MasterKeys,
  ) {
    if (!existsSync(path)) throw new NotASealogStoreError(path, 'does not exist');
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new NotASealogStoreError(path, `cannot be opened: ${(error as Error).message}`);
    }
    try {
      this.db.pragma('busy_timeout = 5000');
      const tables = new Set(
        (
          this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
        ).map((row) => row.name),
      );
      this.tables = tables;
      // A store of an older version lacks the tables of kinds added since: they hold no row. The
      // first kind's table and the migration record make a file a sealog store.
      const missing = ['schema_migrations', FIRST_TABLE].filter((table) => !tables.has(table));
      if (missing.length > 0) {
        throw new NotASealogStoreError(
          path,
          `is not a sealog store (no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''})`,
        );
      }
    } catch (error) {
      this.db.close();
      if (error instanceof NotASealogStoreError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new NotASealogStoreError(
        path,
        code === 'SQLITE_NOTADB'
          ? 'is not an SQLite database'
          : `cannot be read: ${(error as Error).message}`,
      );
    }
  }

  /** Rows of `table` strictly after `after` (every row when undefined); counts the index, no row is read. */
  countRows(table: string, after: ExportKey | undefined): number {
    if (!this.tables.has(table)) return 0;
    const row = (
      after === undefined
        ? this.db.prepare(`SELECT count(*) AS rows FROM ${table}`).get()
        : this.db
            .prepare(`SELECT count(*) AS rows FROM ${table} WHERE (tenant_id, id) > (?, ?)`)
            .get(after.tenantId, after.id)
    ) as { rows: number };
    return row.rows;
  }

  /** Communication logs after `after`, up to `batchSize` (≥ 1) a batch, each with its transitions oldest first. */
  *communicationLogBatches(
    after: ExportKey | undefined,
    batchSize: number,
  ): Generator<CommunicationLogWithHistory[]> {
    const transitions = this.db.prepare(
      `SELECT ${TRANSITION_SELECT} FROM communication_log_transitions
        WHERE (tenant_id, log_id) >= (?, ?) AND (tenant_id, log_id) <= (?, ?)
        ORDER BY tenant_id, log_id, seq`,
    );
    for (const logs of this.batches(COMMUNICATION_LOG_TABLE, after, batchSize)) {
      const first = logs[0];
      const last = logs[logs.length - 1];
      if (first === undefined || last === undefined) continue;
      // One range query per batch over the (tenant_id, log_id, seq) index instead of one per log.
      const byLog = new Map<string, StatusTransition[]>();
      for (const transition of transitions.all(
        first.tenant_id,
        first.id,
        last.tenant_id,
        last.id,
      ) as StatusTransition[]) {
        const key = logKey(transition.tenant_id, transition.log_id);
        const history = byLog.get(key);
        if (history) history.push(transition);
        else byLog.set(key, [transition]);
      }
      yield logs.map((log) => ({ log, transitions: byLog.get(logKey(log.tenant_id, log.id)) ?? [] }));
    }
  }

  /**
   * Rows of `table` after `after`, up to `batchSize` (≥ 1) a batch; store-internal columns (seq)
   * are left behind. Each batch is read when asked for.
   */
  *batches<Row extends LogRow>(
    table: LogTable<Row>,
    after: ExportKey | undefined,
    batchSize: number,
  ): Generator<Row[]> {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batch size must be ≥ 1 (got ${batchSize})`);
    if (!this.tables.has(table.table)) return;
    const columns = [...table.columns.map(([column]) => column), ...(this.isSealed() ? [SEALED_COLUMN] : [])]
      .map((column) => `"${column}"`)
      .join(', ');
    const select = `SELECT ${columns} FROM ${table.table}`;
    const firstBatch = this.db.prepare(`${select} ORDER BY tenant_id, id LIMIT ?`);
    const nextBatch = this.db.prepare(
      `${select} WHERE (tenant_id, id) > (?, ?) ORDER BY tenant_id, id LIMIT ?`,
    );
    let position = after;
    for (;;) {
      const rows = (
        position === undefined
          ? firstBatch.all(batchSize)
          : nextBatch.all(position.tenantId, position.id, batchSize)
      ) as Row[];
      const last = rows[rows.length - 1];
      if (last === undefined) return;
      yield rows;
      if (rows.length < batchSize) return;
      position = { tenantId: last.tenant_id, id: last.id };
    }
  }

  /**
   * Rows of `table` as the batches yield them (personal fields sealed, in a store of this version)
   * as the APIs show them, opened with the store's subject keys.
   */
  open<Row extends LogRow>(table: LogTable<Row>, rows: readonly Row[]): Promise<Row[]> {
    if (!this.isSealed()) return Promise.resolve([...rows]);
    return this.opener().openRows(table, rows as unknown as readonly StoredRow[]);
  }

  /** Communication logs and their histories as communicationLogBatches yields them, opened. */
  async openHistories(
    entries: readonly CommunicationLogWithHistory[],
  ): Promise<CommunicationLogWithHistory[]> {
    if (!this.isSealed()) return [...entries];
    const logs = await this.open(
      COMMUNICATION_LOG_TABLE,
      entries.map(({ log }) => log),
    );
    const histories = await openTransitions(
      this.opener(),
      entries.flatMap(({ transitions }) => transitions),
    );
    let next = 0;
    return entries.map(({ transitions }, index) => {
      const log = logs[index];
      if (log === undefined) throw new Error('an opened batch lost a log');
      const opened = histories.slice(next, next + transitions.length);
      next += transitions.length;
      return { log, transitions: opened };
    });
  }

  /** Whether the file's rows may hold sealed fields (its schema has the column). */
  private isSealed(): boolean {
    return this.tables.has('subject_keys');
  }

  private opener(): RowSealer {
    this.sealer ??= new RowSealer(
      new SubjectKeyRing(
        new SqliteSubjectKeyRepository(this.db),
        this.masterKeys ?? loadMasterKeys(undefined, dirname(this.path)),
      ),
      new PlaintextCache(),
    );
    return this.sealer;
  }

  /** Same as AuditStore.tally() of a SqliteStore on this file, read without opening it for writing. */
  tally(): TableTally[] {
    return tallyTables(this.db, (table) => this.tables.has(table));
  }

  close(): void {
    this.db.close();
  }
}

function logKey(tenantId: string, id: string): string {
  return JSON.stringify([tenantId, id]);
}
