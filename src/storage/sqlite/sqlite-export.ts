import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { TableTally } from '../../domain/audit-store.js';
import type { LogIdentity } from '../../integrity/integrity-log.js';
import { EMPTY_ROOT } from '../../integrity/merkle/rfc6962-hashing.js';
import type { TileAddress } from '../../integrity/merkle/tile-layout.js';
import type { LogId, LogState, LogStatus } from '../../integrity/sequencing/integrity-store.js';
import { LOG_TABLES } from '../../kinds/log-tables.js';
import type { RecordedMasterKey } from '../../sealing/master-key-check.js';
import type { RawCheckpoint, RawLeafBatch } from '../log-transfer.js';
import { readLeafBatch } from './integrity/sqlite-leaf-export.js';
import { SqliteLeafReader } from './integrity/sqlite-leaf-reader.js';
import { knownMigrations } from './migrations.js';
import { tallyTables } from './tables/table-tally.js';

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

/** The schema version a store of this sealog has (the newest migration it knows). */
const CURRENT_VERSION = Math.max(...knownMigrations().map((migration) => migration.version));

/** A row of integrity_logs. */
interface LogRow {
  tenant_id: string;
  kind: string;
  assigned: number;
  tree_size: number;
  root: Buffer;
}

/**
 * Read-only view of an existing SQLite store file, for moving its logs to another store as they
 * are stored: each log's leaves in order with their rows (readLeafBatch), its tiles, checkpoints,
 * the log identity and the master keys recorded. Opening never creates, migrates or writes the
 * database file (like any reader of a WAL database, SQLite may leave an empty -wal and a -shm file
 * beside it). A server may keep writing to the file meanwhile: each read is one snapshot, and a
 * log only ever grows at its end.
 */
export class SqliteExport {
  private readonly db: Database.Database;
  /** The tables the file has. */
  private tables = new Set<string>();
  private readonly leaves: SqliteLeafReader;

  /** Throws NotASealogStoreError when `path` is missing or holds no sealog schema. */
  constructor(readonly path: string) {
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
      // The first kind's table and the migration record make a file a sealog store.
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
    this.leaves = new SqliteLeafReader(this.db);
  }

  /**
   * Why the file cannot be copied as it is stored, or undefined when it can: a store of another
   * version, or one whose rows from before the integrity log are not all numbered yet. Both are
   * mended by migrating it (`sealog migrate`, or starting a server of this version on it).
   */
  notCopyable(): string | undefined {
    const { version } = this.db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    if ((version ?? 0) > CURRENT_VERSION) {
      return `is at schema version ${version}, newer than this sealog knows (${CURRENT_VERSION}): copy it with the sealog that wrote it`;
    }
    if ((version ?? 0) < CURRENT_VERSION) {
      return `is at schema version ${version ?? 0}, before its rows were sealed and signed (${CURRENT_VERSION})`;
    }
    const pending = this.db
      .prepare('SELECT count(*) AS pending FROM integrity_backfill WHERE done = 0')
      .get() as {
      pending: number;
    };
    return pending.pending > 0
      ? 'has rows from before its integrity log that are not numbered yet'
      : undefined;
  }

  /** Leaves a retention purge removed the records of, in every log (their rows cannot be copied). */
  prunedLeaves(): number {
    return this.db
      .prepare('SELECT coalesce(sum(end_leaf - first_leaf), 0) FROM integrity_pruned')
      .pluck()
      .get() as number;
  }

  /** Every log with at least one leaf, in LOG_TABLES order of kinds, then tenants by UTF-8 bytes. */
  logStates(): LogStatus[] {
    const rows = this.db
      .prepare('SELECT tenant_id, kind, assigned, tree_size, root FROM integrity_logs WHERE assigned > 0')
      .all() as LogRow[];
    const rank = (kind: string) => LOG_TABLES.findIndex((table) => table.kind === kind);
    return rows
      .map(statusOf)
      .sort(
        (a, b) =>
          rank(a.kind) - rank(b.kind) || Buffer.compare(Buffer.from(a.tenantId), Buffer.from(b.tenantId)),
      );
  }

  /** Where `log` stands now; a log without leaves is empty. */
  logState(log: LogId): LogState {
    const row = this.db
      .prepare(
        'SELECT tenant_id, kind, assigned, tree_size, root FROM integrity_logs WHERE tenant_id = ? AND kind = ?',
      )
      .get(log.tenantId, log.kind) as LogRow | undefined;
    return row === undefined ? { assigned: 0, treeSize: 0, root: Buffer.from(EMPTY_ROOT) } : statusOf(row);
  }

  /** Up to `limit` (≥ 1) leaves of `log` from `start` on, raw (see readLeafBatch). */
  leafBatch(log: LogId, start: number, limit: number): RawLeafBatch {
    return readLeafBatch(this.db, log, start, limit);
  }

  /** The bytes of leaves `start` … `end − 1` of `log`, recomputed from the stored rows. */
  leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    return this.leaves.leafBytes(log, start, end);
  }

  /** The stored hashes of `tiles` (undefined for a tile not written), as IntegrityStore.readTiles. */
  readTiles(log: LogId, tiles: readonly TileAddress[]): Promise<(Buffer | undefined)[]> {
    const read = this.db.prepare(
      'SELECT hashes FROM integrity_tiles WHERE tenant_id = ? AND kind = ? AND level = ? AND tile_index = ?',
    );
    return Promise.resolve(
      tiles.map((tile) => {
        const row = read.get(log.tenantId, log.kind, tile.level, tile.index) as
          { hashes: Buffer } | undefined;
        return row === undefined ? undefined : Buffer.from(row.hashes);
      }),
    );
  }

  /** The checkpoints of `log` up to tree size `maxSize`, smallest first, with their outbox state. */
  checkpoints(log: LogId, maxSize: number): RawCheckpoint[] {
    const rows = this.db
      .prepare(
        `SELECT tree_size, root, note, signed_at, dir_published, url_published, url_attempts, url_next_at
           FROM integrity_checkpoints WHERE tenant_id = ? AND kind = ? AND tree_size <= ? ORDER BY tree_size`,
      )
      .all(log.tenantId, log.kind, maxSize) as {
      tree_size: number;
      root: Buffer;
      note: string;
      signed_at: number;
      dir_published: number;
      url_published: number;
      url_attempts: number;
      url_next_at: number;
    }[];
    return rows.map((row) => ({
      treeSize: row.tree_size,
      root: Buffer.from(row.root),
      note: row.note,
      signedAt: row.signed_at,
      dirPublished: row.dir_published !== 0,
      urlPublished: row.url_published !== 0,
      urlAttempts: row.url_attempts,
      urlNextAt: row.url_next_at,
    }));
  }

  /** The logs' identity (origin prefix, signing key), recorded at the first signature. */
  identity(): LogIdentity | undefined {
    return this.db
      .prepare('SELECT origin_prefix AS originPrefix, public_key AS publicKey FROM integrity_identity')
      .get() as LogIdentity | undefined;
  }

  /** Every master key that wrapped a subject key of the store, by id and fingerprint. */
  masterKeys(): RecordedMasterKey[] {
    return this.db
      .prepare('SELECT id, fingerprint FROM master_keys ORDER BY id')
      .all() as RecordedMasterKey[];
  }

  /** Same as AuditStore.tally() of a SqliteStore on this file, read without opening it for writing. */
  tally(): TableTally[] {
    return tallyTables(this.db, (table) => this.tables.has(table));
  }

  close(): void {
    this.db.close();
  }
}

function statusOf(row: LogRow): LogStatus {
  return {
    tenantId: row.tenant_id,
    kind: row.kind,
    assigned: row.assigned,
    treeSize: row.tree_size,
    root: Buffer.from(row.root),
  };
}
