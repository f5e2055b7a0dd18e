import type Database from 'better-sqlite3';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import type { MasterKeys } from '../../../sealing/master-keys.js';
import type {
  DeliveryCommit,
  DeliveryFailure,
  StoredStream,
  StreamKey,
  StreamLease,
  StreamPosition,
  StreamPut,
  StreamStore,
} from '../../../streams/stream-store.js';
import { secretsContext, STREAM_COLUMNS, storedStreamOf, type StreamRow } from '../../stream-rows.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { StoreWriter } from '../engine/store-writer.js';

/** The log streams on the embedded store: reads on `db`, writes through the writer (stream-writes.ts). */
export class SqliteStreamRepository implements StreamStore {
  private readonly statements: StatementCache;

  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
    private readonly masterKeys: MasterKeys,
  ) {
    this.statements = new StatementCache(db);
  }

  list(owner: string | undefined): Promise<StoredStream[]> {
    return asPromise(() => {
      const rows = (
        owner === undefined
          ? this.statements.prepare(`SELECT ${STREAM_COLUMNS} FROM streams ORDER BY owner, name`).all()
          : this.statements
              .prepare(`SELECT ${STREAM_COLUMNS} FROM streams WHERE owner = ? ORDER BY name`)
              .all(owner)
      ) as StreamRow[];
      return rows.map((row) => storedStreamOf(row, this.masterKeys));
    });
  }

  get(key: StreamKey): Promise<StoredStream | undefined> {
    return asPromise(() => {
      const row = this.statements
        .prepare(`SELECT ${STREAM_COLUMNS} FROM streams WHERE owner = ? AND name = ?`)
        .get(key.owner, key.name) as StreamRow | undefined;
      return row === undefined ? undefined : storedStreamOf(row, this.masterKeys);
    });
  }

  put(put: StreamPut, nowMs: number): Promise<boolean> {
    const sealed = { ...put, secrets: this.masterKeys.sealText(secretsContext(put), put.secrets) };
    return this.writer.run({ type: 'put-stream', put: sealed, nowMs });
  }

  delete(key: StreamKey): Promise<boolean> {
    return this.writer.run({ type: 'delete-stream', key: keyOf(key) });
  }

  setPaused(key: StreamKey, reason: string | null, nowMs: number): Promise<boolean> {
    return this.writer.run({ type: 'pause-stream', key: keyOf(key), reason, nowMs });
  }

  rewind(key: StreamKey, positions: readonly StreamPosition[], nowMs: number): Promise<boolean> {
    return this.writer.run({ type: 'rewind-stream', key: keyOf(key), positions, nowMs });
  }

  positions(key: StreamKey): Promise<StreamPosition[]> {
    return asPromise(
      () =>
        this.statements
          .prepare(
            `SELECT tenant_id AS tenantId, kind, next_leaf AS nextLeaf FROM stream_positions
            WHERE owner = ? AND name = ? ORDER BY tenant_id, kind`,
          )
          .all(key.owner, key.name) as StreamPosition[],
    );
  }

  claimLease(
    key: StreamKey,
    holder: string,
    nowMs: number,
    untilMs: number,
  ): Promise<StreamLease | undefined> {
    return this.writer.run({ type: 'claim-stream-lease', key: keyOf(key), holder, nowMs, untilMs });
  }

  releaseLease(key: StreamKey, holder: string): Promise<void> {
    return this.writer.run({ type: 'release-stream-lease', key: keyOf(key), holder });
  }

  commitDelivery(key: StreamKey, lease: StreamLease, commit: DeliveryCommit): Promise<boolean> {
    return this.writer.run({ type: 'commit-stream-delivery', key: keyOf(key), lease, commit });
  }

  recordFailure(key: StreamKey, lease: StreamLease, failure: DeliveryFailure): Promise<boolean> {
    return this.writer.run({ type: 'record-stream-failure', key: keyOf(key), lease, failure });
  }

  firstLeafSince(log: LogId, fromMs: number): Promise<number | undefined> {
    const table = logTableOfKind(log.kind);
    return asPromise(() => {
      const row = this.statements
        .prepare(
          `SELECT min(l.leaf_index) AS leaf FROM ${table.table} r
             JOIN integrity_leaves l ON l.tenant_id = r.tenant_id AND l.kind = ? AND l.record_id = r.id
                                    AND l.transition = 0
            WHERE r.tenant_id = ? AND r."${table.timeColumn}" >= ?`,
        )
        .get(log.kind, log.tenantId, fromMs) as { leaf: number | null };
      return row.leaf ?? undefined;
    });
  }
}

/** Only the key crosses to the writer (a StoredStream passed as a key would carry its secrets). */
const keyOf = (key: StreamKey): StreamKey => ({ owner: key.owner, name: key.name });
