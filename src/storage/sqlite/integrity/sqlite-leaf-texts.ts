/**
 * Record leaves made by SQLite, for `sealog verify`. With a leaf's members listed in JCS order,
 * json_object() of a row is the leaf's JCS text: SQLite writes a string as JSON.stringify does
 * (\" \\ \b \f \n \r \t, \u00xx in lower case for the other C0 controls, every other character as
 * it is) and an integer as its decimal digits. One string a leaf then crosses into JavaScript,
 * instead of one a column and their encoding there: about half of what verify spent a leaf.
 *
 * The values of the row are not checked here, which would cost a tenth of the time: a value no
 * writer stores (a real, an integer past 2^53, a string in an integer column) is written as no
 * leaf is (1.5, 1.0e+20, all the digits, "123"), so that the row no longer hashes to its leaf;
 * a blob, which json_object() refuses, sends its window to the encoder (leaf-builder.ts), which
 * names what is wrong. So do the leaves that are not a stored row as it is (a communication log's
 * record leaf is its row before its transitions; transitions are leaves of their own). Before a
 * kind's first window, SQLite's text is compared with the encoder's on probe rows; should a bundled
 * SQLite ever write otherwise, that kind's leaves are all made by the encoder.
 */
import Database from 'better-sqlite3';
import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import {
  checkLeaf,
  HISTORY_COLUMNS,
  historiesByLog,
  type LeafLocation,
} from '../../../integrity/leaves/leaf-builder.js';
import { LeafChecks } from '../../../integrity/leaves/leaf-checks.js';
import { probeRows, recordLeafEncoder } from '../../../integrity/leaves/leaf-encoder.js';
import type { LeafFormat } from '../../../integrity/leaves/leaf-format.js';
import type { LogId } from '../../../integrity/sequencing/integrity-store.js';
import { COMMUNICATION_LOG_TABLE } from '../../../kinds/communication-log/communication-log-table.js';
import { logTableOfKind } from '../../../kinds/log-tables.js';
import { StatementCache } from '../engine/statement-cache.js';

/** A row as the window query reads it: leaf index, record id, transition, then the record's part. */
type WindowRow = [number, string, number, ...unknown[]];

/**
 * Reads windows of leaves as LeafChecks (leaf-checks.ts) on one connection, each window in one
 * read transaction. Not for the serving path: built for a read-only scan (sealog verify).
 */
export class SqliteLeafTexts {
  private readonly statements: StatementCache;
  private readonly snapshot: (work: () => LeafChecks) => LeafChecks;
  /** Per kind, once checked: whether SQLite makes its record leaves. */
  private readonly sqlMade = new Map<string, boolean>();

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
    this.snapshot = db.transaction((work: () => LeafChecks) => work());
  }

  /** The checks of the leaves numbered in [start, end) of `log` (see IntegrityLog.leafChecks). */
  read(log: LogId, start: number, end: number): LeafChecks {
    if (this.makesLeavesInSql(log.kind)) {
      try {
        return this.snapshot(() => this.readWindow(log, start, end, true));
      } catch (error) {
        // json_object() refuses a blob ("JSON cannot hold BLOB values"): the encoder names it.
        if (!(error instanceof Database.SqliteError)) throw error;
      }
    }
    return this.snapshot(() => this.readWindow(log, start, end, false));
  }

  /**
   * Whether SQLite makes the record leaves of `kind`: its text equals the encoder's on probe rows.
   * Checked once per kind.
   */
  makesLeavesInSql(kind: string): boolean {
    let made = this.sqlMade.get(kind);
    if (made === undefined) {
      made = this.agreesWithEncoder(recordLeafEncoder(kind).format);
      this.sqlMade.set(kind, made);
    }
    return made;
  }

  private readWindow(log: LogId, start: number, end: number, fast: boolean): LeafChecks {
    if (fast) {
      const texts = this.plainTexts(log, start, end);
      // leaf_index is a key: as many rows as leaves is every leaf of the window numbered.
      if (texts.length === end - start) {
        const checks = LeafChecks.ofRecords(start, texts, () => this.recordIds(log, start, end));
        const others: number[] = [];
        texts.forEach((text, position) => {
          if (text === null) others.push(start + position);
        });
        if (others.length > 0) this.checkOthers(log, start, others, checks);
        return checks;
      }
    }
    return this.checkAll(log, start, end, fast);
  }

  /**
   * The text of each leaf numbered in [start, end), in leaf order, made by SQLite when the leaf is
   * a stored record as it is (for a communication log: one without transitions); null for the
   * others (transitions, records changed since their leaf, records gone).
   */
  private plainTexts(log: LogId, start: number, end: number): (string | null)[] {
    const table = logTableOfKind(log.kind);
    const unchanged =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? `AND NOT EXISTS (SELECT 1 FROM communication_log_transitions t
                            WHERE t.tenant_id = l.tenant_id AND t.log_id = l.record_id)`
        : '';
    return this.statements
      .prepare(
        `SELECT CASE WHEN l.transition = 0 AND r.id IS NOT NULL ${unchanged}
                     THEN ${leafTextSql(recordLeafEncoder(log.kind).format, 'r')} END
           FROM integrity_leaves l
           LEFT JOIN ${table.table} r ON r.tenant_id = l.tenant_id AND r.id = l.record_id
          WHERE l.tenant_id = ? AND l.kind = ? AND l.leaf_index >= ? AND l.leaf_index < ?
          ORDER BY l.leaf_index`,
      )
      .pluck()
      .all(log.tenantId, log.kind, start, end) as (string | null)[];
  }

  /** Checks the leaves `leafIndexes` (ascending) of the window from `start` in `checks`, row by row. */
  private checkOthers(log: LogId, start: number, leafIndexes: readonly number[], checks: LeafChecks): void {
    const table = logTableOfKind(log.kind);
    const format = recordLeafEncoder(log.kind).format;
    const rows = this.statements
      .prepare(
        `SELECT l.leaf_index, l.record_id, l.transition,
                CASE WHEN l.transition = 0 AND r.id IS NOT NULL THEN ${leafTextSql(format, 'r')} END
           FROM integrity_leaves l
           LEFT JOIN ${table.table} r ON r.tenant_id = l.tenant_id AND r.id = l.record_id
          WHERE l.tenant_id = ? AND l.kind = ? AND l.leaf_index IN (SELECT value FROM json_each(?))
          ORDER BY l.leaf_index`,
      )
      .raw()
      .all(log.tenantId, log.kind, JSON.stringify(leafIndexes)) as WindowRow[];
    const histories =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? this.histories(log, [...new Set(rows.map((row) => row[1]))])
        : new Map<string, StoredTransition[]>();
    for (const row of rows) {
      const [leafIndex, recordId, transition, text] = row;
      const location: LeafLocation = { leafIndex, recordId, transition };
      // JSON.parse gives back the row's values as better-sqlite3 would have (a string, an integer
      // as a number, null), including those the encoder then refuses.
      const stored = typeof text === 'string' ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      checks.setCheck(
        leafIndex - start,
        location,
        checkLeaf(log.kind, location, stored, histories.get(recordId)),
      );
    }
  }

  /** The checks of every leaf numbered in [start, end), row by row (`fast`: records made by SQLite). */
  private checkAll(log: LogId, start: number, end: number, fast: boolean): LeafChecks {
    const table = logTableOfKind(log.kind);
    const format = recordLeafEncoder(log.kind).format;
    const record = fast
      ? `CASE WHEN l.transition = 0 AND r.id IS NOT NULL THEN ${leafTextSql(format, 'r')} END`
      : `r.id IS NOT NULL, ${format.valueFields.map((name) => `r."${name}"`).join(', ')}`;
    const rows = this.statements
      .prepare(
        `SELECT l.leaf_index, l.record_id, l.transition, ${record}
           FROM integrity_leaves l
           LEFT JOIN ${table.table} r ON r.tenant_id = l.tenant_id AND r.id = l.record_id
          WHERE l.tenant_id = ? AND l.kind = ? AND l.leaf_index >= ? AND l.leaf_index < ?
          ORDER BY l.leaf_index`,
      )
      .raw()
      .all(log.tenantId, log.kind, start, end) as WindowRow[];
    const histories =
      table.table === COMMUNICATION_LOG_TABLE.table
        ? this.histories(log, [...new Set(rows.map((row) => row[1]))])
        : new Map<string, StoredTransition[]>();
    const checks = new LeafChecks();
    for (const row of rows) {
      const [leafIndex, recordId, transition] = row;
      const location: LeafLocation = { leafIndex, recordId, transition };
      let stored: Readonly<Record<string, unknown>> | undefined;
      if (transition === 0) {
        if (!fast) stored = row[3] === 1 ? recordOf(format, row, 4) : undefined;
        else if (typeof row[3] === 'string') stored = JSON.parse(row[3]) as Record<string, unknown>;
      }
      checks.addCheck(location, checkLeaf(log.kind, location, stored, histories.get(recordId)));
    }
    return checks;
  }

  /** The record ids of the leaves numbered in [start, end), in leaf order. */
  private recordIds(log: LogId, start: number, end: number): string[] {
    return this.statements
      .prepare(
        `SELECT record_id FROM integrity_leaves
          WHERE tenant_id = ? AND kind = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index`,
      )
      .pluck()
      .all(log.tenantId, log.kind, start, end) as string[];
  }

  /** The histories of the communication logs `ids`, by log id, each in seq order. */
  private histories(log: LogId, ids: readonly string[]): Map<string, StoredTransition[]> {
    const transitions = this.statements
      .prepare(
        `SELECT ${HISTORY_COLUMNS.join(', ')} FROM communication_log_transitions
          WHERE tenant_id = ? AND log_id IN (SELECT value FROM json_each(?)) ORDER BY log_id, seq`,
      )
      .all(log.tenantId, JSON.stringify(ids)) as StoredTransition[];
    return historiesByLog(transitions);
  }

  /** Whether leafTextSql gives the encoder's text on probe rows. */
  private agreesWithEncoder(format: LeafFormat): boolean {
    if (!format.fields.every((field) => SQL_NAME.test(field.name))) return false;
    const encoder = recordLeafEncoder(format.kind);
    const statement = this.db
      .prepare(
        `SELECT ${leafTextSql(format, 'r')}
           FROM (SELECT ${format.valueFields.map((name) => `? AS "${name}"`).join(', ')}) r`,
      )
      .pluck();
    const integers = new Set(
      format.fields.filter((field) => field.type === 'bigint').map((field) => field.name),
    );
    const bind = (row: Readonly<Record<string, unknown>>) =>
      format.valueFields.map((name) => {
        const value = row[name];
        // A JavaScript number binds as a real: an integer column's value is an integer.
        return integers.has(name) && typeof value === 'number' && Number.isInteger(value)
          ? BigInt(value)
          : value;
      });
    return [...probeRows(format), ...textProbeRows(format)].every(
      (row) => statement.get(...bind(row)) === encoder.encodeText(row),
    );
  }
}

/** Member names and text constants written into SQL as they are. */
const SQL_NAME = /^[A-Za-z0-9_]+$/;

/** The SQL of the leaf text of the row aliased `alias`: json_object() with the members in JCS order (UTF-16 code units). */
function leafTextSql(format: LeafFormat, alias: string): string {
  const sorted = [...format.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const members = sorted.map((field) => {
    const { constant } = field;
    const value =
      constant === undefined
        ? `${alias}."${field.name}"`
        : typeof constant === 'number'
          ? String(constant)
          : `'${constant.replaceAll("'", "''")}'`;
    return `'${field.name}', ${value}`;
  });
  return `json_object(${members.join(', ')})`;
}

/** The row of `format`'s value fields from `row`, read from position `offset` on. */
function recordOf(format: LeafFormat, row: readonly unknown[], offset: number): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  format.valueFields.forEach((name, position) => {
    record[name] = row[offset + position];
  });
  return record;
}

/**
 * Rows whose every text field holds one of these: every ASCII character (SQLite escapes byte by
 * byte, and every byte of a longer UTF-8 sequence is ≥ 0x80, written as it is) and characters of
 * each UTF-8 length.
 */
function textProbeRows(format: LeafFormat): Record<string, unknown>[] {
  const ascii = String.fromCharCode(...Array.from({ length: 128 }, (_, code) => code));
  const texts = [
    ascii,
    `${ascii}\u00e9\u07ff\u0800\u20ac\u2028\ufffd\uffff\u{10000}\u{1f600}\u{10ffff}\u0000`,
  ];
  return texts.map((text) => {
    const row: Record<string, unknown> = {};
    for (const field of format.fields) {
      if (field.constant === undefined) row[field.name] = field.type === 'bigint' ? 1 : text;
    }
    return row;
  });
}
