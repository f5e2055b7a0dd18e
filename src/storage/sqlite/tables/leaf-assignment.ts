import type Database from 'better-sqlite3';
import type { StoredTransition } from '../../../integrity/leaves/delivery-history.js';
import { newRecordLeafHashes, transitionLeafHash } from '../../../integrity/leaves/leaf-builder.js';
import { EMPTY_ROOT, HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import { recordsByLog } from '../../../integrity/sequencing/leaf-order.js';
import type { LogRow } from '../../../kinds/log-table.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { InlineTreeGrowth } from '../integrity/inline-tree-growth.js';

/**
 * Numbers leaves in the writer's transaction, so that a log's leaf order is exactly the order its
 * writes committed and no acknowledged write can be left out (its leaves commit with it; a write
 * that rolls back takes its numbers back too). With `growth`, the leaves of records and
 * transitions stored as they are given are hashed into the tree in the same transaction; the
 * others (imported histories, a backfill) wait for the store's TreeBuilder. Synchronous, on the
 * writing connection.
 */
export class LeafAssignment {
  private readonly statements: StatementCache;

  constructor(
    db: Database.Database,
    private readonly growth?: InlineTreeGrowth,
  ) {
    this.statements = new StatementCache(db);
  }

  /**
   * Leaves for records of `kind` stored by one write: per tenant, in id order (leaf-order.ts),
   * each followed by the leaves of the `transitionsOf(record)` transitions it came with (a copy).
   * `leafHashOf` gives a record's leaf hash when the writer's caller computed it (else it is
   * computed here from the row).
   */
  records<Row extends LogRow>(
    kind: string,
    rows: readonly Row[],
    { transitionsOf, leafHashOf }: RecordLeaves<Row> = {},
  ): void {
    for (const group of recordsByLog(rows)) {
      const first = group[0];
      if (first === undefined) continue;
      const counts = group.map((row) => transitionsOf?.(row) ?? 0);
      const start = this.reserve(
        first.tenant_id,
        kind,
        counts.reduce((sum, count) => sum + 1 + count, 0),
      );
      let next = start;
      group.forEach((row, position) => {
        this.insert(row.tenant_id, kind, next++, row.id, 0);
        for (let rank = 1; rank <= (counts[position] ?? 0); rank++) {
          this.insert(row.tenant_id, kind, next++, row.id, rank);
        }
      });
      // Records with a history of their own (a copy) are the TreeBuilder's: it reads the history.
      if (next - start === group.length) {
        this.growth?.grow({ tenantId: first.tenant_id, kind }, start, () =>
          leafHashOf === undefined
            ? splitHashes(newRecordLeafHashes(kind, group))
            : allDefined(group.map(leafHashOf)),
        );
      }
    }
  }

  /** The leaf of transition number `rank` (from 1) of the record `recordId`: `stored`, stored just now. */
  transition(kind: string, stored: StoredTransition, rank: number): void {
    const index = this.reserve(stored.tenant_id, kind, 1);
    this.insert(stored.tenant_id, kind, index, stored.log_id, rank);
    this.growth?.grow({ tenantId: stored.tenant_id, kind }, index, () =>
      allDefined([transitionLeafHash(stored, rank)]),
    );
  }

  /** Takes `count` leaf numbers of a log; returns the first. */
  private reserve(tenantId: string, kind: string, count: number): number {
    const assigned = this.statements
      .prepare(
        `INSERT INTO integrity_logs (tenant_id, kind, assigned, tree_size, root) VALUES (?, ?, ?, 0, ?)
         ON CONFLICT (tenant_id, kind) DO UPDATE SET assigned = assigned + excluded.assigned
         RETURNING assigned`,
      )
      .pluck()
      .get(tenantId, kind, count, EMPTY_ROOT) as number;
    return assigned - count;
  }

  private insert(tenantId: string, kind: string, index: number, recordId: string, transition: number): void {
    this.statements
      .prepare(
        'INSERT INTO integrity_leaves (tenant_id, kind, leaf_index, record_id, transition) VALUES (?, ?, ?, ?, ?)',
      )
      .run(tenantId, kind, index, recordId, transition);
  }
}

/** Options of LeafAssignment.records. */
export interface RecordLeaves<Row> {
  /** How many transitions of its own a record came with (a copied history); none by default. */
  transitionsOf?: (row: Row) => number;
  /** The record's leaf hash, computed by the writer's caller; undefined if it makes no leaf. */
  leafHashOf?: (row: Row) => Buffer | undefined;
}

/** `hashes` cut into its 32-byte hashes. */
function splitHashes(hashes: Buffer | undefined): Buffer[] | undefined {
  if (hashes === undefined) return undefined;
  return Array.from({ length: hashes.length / HASH_BYTES }, (_, i) =>
    hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
  );
}

function allDefined(hashes: readonly (Buffer | undefined)[]): Buffer[] | undefined {
  return hashes.every((hash) => hash !== undefined) ? (hashes as Buffer[]) : undefined;
}
