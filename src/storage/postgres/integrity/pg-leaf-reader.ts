import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import {
  HISTORY_COLUMNS,
  windowLeafBytes,
  type LeafLocation,
  type LeafWindow,
} from '../../../integrity/leaves/leaf-builder.js';
import { HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import type { LeafRange } from '../../../integrity/integrity-log.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import type { LeafReader } from '../../../integrity/sequencing/tree-builder.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { SEALED_COLUMN } from '../../../kinds/log-table.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import type { LogTable } from '../../../kinds/log-table.js';
import type pg from 'pg';
import type { PgExecutor } from '../pg-executor.js';

/**
 * The stored records of `table` named by ($1 tenants, $2 ids), pairwise; those not stored are
 * left out. Each is looked up on its own (LATERAL … LIMIT 1: the planner cannot turn it into a
 * join), through its claim's primary key and then its one partition, whatever the statistics: on a
 * young partition (never analyzed, as each month's is at first) a join was planned as a scan of
 * every row of the tenant in it (50,000 rows read to find 1,000).
 */
function recordsByKeySql(table: LogTable): string {
  const time = `"${table.timeColumn}"`;
  const columns = [...table.columns.map(([column]) => column), SEALED_COLUMN].map(
    (column) => `r."${column}"`,
  );
  return `SELECT r.* FROM unnest($1::text[], $2::text[]) AS w(tenant_id, id)
     CROSS JOIN LATERAL (
       SELECT ${columns.join(', ')} FROM ${table.keysTable} k
         JOIN ${table.table} r ON r.tenant_id = k.tenant_id AND r.${time} = k.${time} AND r.id = k.id
        WHERE k.tenant_id = w.tenant_id AND k.id = w.id
        LIMIT 1
     ) AS r`;
}

/** recordsByKeySql for one tenant ($1) and its ids ($2): a statement Citus routes to one shard. */
function recordsOfTenantSql(table: LogTable): string {
  const time = `"${table.timeColumn}"`;
  const columns = [...table.columns.map(([column]) => column), SEALED_COLUMN].map(
    (column) => `r."${column}"`,
  );
  return `SELECT ${columns.join(', ')} FROM ${table.keysTable} k
     JOIN ${table.table} r ON r.tenant_id = k.tenant_id AND r.${time} = k.${time} AND r.id = k.id
    WHERE k.tenant_id = $1 AND k.id = ANY($2::text[])`;
}

/** The positions in `ranges` of each kind's ranges, by kind. */
function positionsByKind(ranges: readonly LeafRange[]): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  ranges.forEach((range, position) => {
    const ofKind = positions.get(range.log.kind);
    if (ofKind === undefined) positions.set(range.log.kind, [position]);
    else ofKind.push(position);
  });
  return positions;
}

/** A LeafWindow being filled. */
interface WindowInProgress {
  locations: LeafLocation[];
  records: Map<string, Readonly<Record<string, unknown>>>;
  histories: Map<string, StoredTransition[]>;
}

/**
 * Reads leaf bytes from PostgreSQL: the numbered leaves of a window, their records (found through
 * the claim table, which knows each record's partition) and, for communication logs, their
 * histories. Each read sees committed rows: leaves are numbered only for finished writes.
 */
export class PgLeafReader implements LeafReader {
  /**
   * @param perTenant whether to read one tenant per statement: on Citus, where a statement walking
   * many tenants' rows through LATERAL cannot be pushed down to the shards (asked at each read)
   */
  constructor(
    private readonly db: PgExecutor,
    private readonly perTenant: () => Promise<boolean> = () => Promise.resolve(false),
  ) {}

  async leafBytes(log: LogId, start: number, end: number): Promise<Buffer[]> {
    return windowLeafBytes(log.kind, start, end, await this.leafWindow(log, start, end));
  }

  /**
   * The leaf hashes stored with the records' claims (pg-log-rows.ts), one statement per kind
   * walking each range through its index; undefined for a range where a leaf has none (a
   * transition, a record stored before the hashes were, a copy): the TreeBuilder then reads its rows.
   */
  async leafHashes(ranges: readonly LeafRange[]): Promise<(Buffer[] | undefined)[]> {
    const found: (Buffer[] | undefined)[] = ranges.map(() => []);
    for (const [kind, positions] of positionsByKind(ranges)) {
      const ofKind = positions.map((position) => ranges[position] as LeafRange);
      const table = logTableOfKind(kind);
      const rows = await this.eachRange<{ leaf_hash: Buffer | null }>(
        kind,
        ofKind,
        'r.leaf_hash',
        `SELECT l.leaf_index, k.leaf_hash FROM integrity_leaves l
           LEFT JOIN ${table.keysTable} k ON l.transition = 0 AND k.tenant_id = l.tenant_id AND k.id = l.record_id`,
      );
      for (const { window, leaf_hash: hash } of rows) {
        const position = positions[window] as number;
        if (hash?.length === HASH_BYTES) found[position]?.push(hash);
        else found[position] = undefined;
      }
    }
    return found.map((hashes, position) => {
      const range = ranges[position] as LeafRange;
      return hashes?.length === range.end - range.start ? hashes : undefined;
    });
  }

  async leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow> {
    const [window] = await this.leafWindows([{ log, start, end }]);
    return window as LeafWindow;
  }

  /**
   * leafWindow of several logs, in the order asked, with three statements per kind at most
   * (leaves, records, histories) whatever the number of logs: each statement walks every log's
   * range through its index (LATERAL), or looks every named record up by its key.
   */
  async leafWindows(ranges: readonly LeafRange[]): Promise<LeafWindow[]> {
    const windows: WindowInProgress[] = ranges.map(() => ({
      locations: [],
      records: new Map(),
      histories: new Map(),
    }));
    for (const [kind, positions] of positionsByKind(ranges)) {
      await this.readKindWindows(
        kind,
        positions.map((position) => ranges[position] as LeafRange),
        positions.map((position) => windows[position] as WindowInProgress),
      );
    }
    return windows.map(({ locations, records, histories }) => ({ locations, rows: { records, histories } }));
  }

  /**
   * The rows `inner` gives for each of `ranges` (all of `kind`), each with its range's position as
   * `window`, by range then leaf index: `inner` selects from integrity_leaves as `l` (and whatever
   * it joins), at least `l.leaf_index`; `columns` picks from its rows as `r`. One statement walking
   * each range through the leaves' primary key (LATERAL).
   */
  private async eachRange<Row>(
    kind: string,
    ranges: readonly LeafRange[],
    columns: string,
    inner: string,
  ): Promise<(Row & { window: number })[]> {
    if (await this.perTenant()) {
      const rows: (Row & { window: number })[] = [];
      for (const [window, range] of ranges.entries()) {
        const found = await this.db.query<Row & pg.QueryResultRow>(
          `SELECT ${columns} FROM (
             ${inner}
              WHERE l.tenant_id = $2 AND l.kind = $1 AND l.leaf_index >= $3 AND l.leaf_index < $4
           ) AS r ORDER BY r.leaf_index`,
          [kind, range.log.tenantId, range.start, range.end],
        );
        rows.push(...found.map((row) => ({ ...row, window })));
      }
      return rows;
    }
    return this.db.query<Row & { window: number }>(
      `SELECT w.n - 1 AS "window", ${columns}
         FROM unnest($2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS w(tenant_id, start, stop, n)
         CROSS JOIN LATERAL (
           ${inner}
            WHERE l.tenant_id = w.tenant_id AND l.kind = $1 AND l.leaf_index >= w.start AND l.leaf_index < w.stop
            ORDER BY l.leaf_index
         ) AS r
        ORDER BY w.n, r.leaf_index`,
      [
        kind,
        ranges.map((range) => range.log.tenantId),
        ranges.map((range) => range.start),
        ranges.map((range) => range.end),
      ],
    );
  }

  /**
   * The rows of ($1 tenants, $2 ids), pairwise: from `many` in one statement, or (perTenant) from
   * `one` over ($1 tenant, $2 ids) per tenant, which Citus routes to that tenant's shard. Each
   * tenant's rows keep the statement's order; tenants follow in their first appearance.
   */
  private async byTenant<Row extends pg.QueryResultRow>(
    many: string,
    one: string,
    tenants: readonly string[],
    ids: readonly string[],
  ): Promise<Row[]> {
    if (!(await this.perTenant())) return this.db.query<Row>(many, [[...tenants], [...ids]]);
    const idsOf = new Map<string, string[]>();
    tenants.forEach((tenant, n) => {
      const named = idsOf.get(tenant);
      if (named === undefined) idsOf.set(tenant, [ids[n] as string]);
      else named.push(ids[n] as string);
    });
    const rows: Row[] = [];
    for (const [tenant, named] of idsOf) rows.push(...(await this.db.query<Row>(one, [tenant, named])));
    return rows;
  }

  /** Fills `windows` (empty, one per range, all of `kind`) from three statements. */
  private async readKindWindows(
    kind: string,
    ranges: readonly LeafRange[],
    windows: readonly WindowInProgress[],
  ): Promise<void> {
    const table = logTableOfKind(kind);
    const located = await this.eachRange<LeafLocation>(
      kind,
      ranges,
      'r.leaf_index AS "leafIndex", r.record_id AS "recordId", r.transition',
      'SELECT l.leaf_index, l.record_id, l.transition FROM integrity_leaves l',
    );
    // Which windows each (tenant, record) belongs to: a tenant's logs of one kind are one log, so
    // a record is named by one window, but two ranges of the same log would share it.
    const windowsOf = new Map<string, Set<number>>();
    for (const { window, ...location } of located) {
      windows[window]?.locations.push(location);
      const key = `${ranges[window]?.log.tenantId ?? ''}\u0000${location.recordId}`;
      const named = windowsOf.get(key);
      if (named === undefined) windowsOf.set(key, new Set([window]));
      else named.add(window);
    }
    if (windowsOf.size === 0) return;
    const pairs = [...windowsOf.keys()].map((key) => key.split('\u0000') as [string, string]);
    const tenants = pairs.map(([tenant]) => tenant);
    const ids = pairs.map(([, id]) => id);
    const records = await this.byTenant<{ tenant_id: string; id: string }>(
      recordsByKeySql(table),
      recordsOfTenantSql(table),
      tenants,
      ids,
    );
    for (const record of records) {
      for (const window of windowsOf.get(`${record.tenant_id}\u0000${record.id}`) ?? []) {
        windows[window]?.records.set(record.id, record);
      }
    }
    if (table.table !== COMMUNICATION_LOG_TABLE.table) return;
    const history = HISTORY_COLUMNS.map((column) => `t.${column}`).join(', ');
    const transitions = await this.byTenant<StoredTransition & pg.QueryResultRow>(
      `SELECT ${history}
         FROM unnest($1::text[], $2::text[]) AS w(tenant_id, id)
         JOIN communication_log_transitions t ON t.tenant_id = w.tenant_id AND t.log_id = w.id
        ORDER BY t.tenant_id, t.log_id, t.seq`,
      `SELECT ${history} FROM communication_log_transitions t
        WHERE t.tenant_id = $1 AND t.log_id = ANY($2::text[]) ORDER BY t.log_id, t.seq`,
      tenants,
      ids,
    );
    for (const transition of transitions) {
      for (const window of windowsOf.get(`${transition.tenant_id}\u0000${transition.log_id}`) ?? []) {
        const histories = windows[window]?.histories;
        const history = histories?.get(transition.log_id);
        if (history === undefined) histories?.set(transition.log_id, [transition]);
        else history.push(transition);
      }
    }
  }
}
