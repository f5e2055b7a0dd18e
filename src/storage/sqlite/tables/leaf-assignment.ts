import type Database from 'better-sqlite3';
import { EMPTY_ROOT } from '../../../integrity/merkle/rfc6962-hashing.js';
import { recordsByLog } from '../../../integrity/sequencing/leaf-order.js';
import type { LogRow } from '../../../kinds/log-table.js';
import { StatementCache } from '../engine/statement-cache.js';

/**
 * Numbers leaves in the writer's transaction, so that a log's leaf order is exactly the order its
 * writes committed and no acknowledged write can be left out (its leaves commit with it; a write
 * that rolls back takes its numbers back too). Hashing them into the tree comes later
 * (tree-hasher.ts). Synchronous, on the writing connection.
 */
export class LeafAssignment {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  /**
   * Leaves for records of `kind` stored by one write: per tenant, in id order (leaf-order.ts),
   * each followed by the leaves of the `transitionsOf(record)` transitions it came with (a copy).
   */
  records<Row extends LogRow>(
    kind: string,
    rows: readonly Row[],
    transitionsOf?: (row: Row) => number,
  ): void {
    for (const group of recordsByLog(rows)) {
      const first = group[0];
      if (first === undefined) continue;
      const counts = group.map((row) => transitionsOf?.(row) ?? 0);
      let next = this.reserve(
        first.tenant_id,
        kind,
        counts.reduce((sum, count) => sum + 1 + count, 0),
      );
      group.forEach((row, position) => {
        this.insert(row.tenant_id, kind, next++, row.id, 0);
        for (let rank = 1; rank <= (counts[position] ?? 0); rank++) {
          this.insert(row.tenant_id, kind, next++, row.id, rank);
        }
      });
    }
  }

  /** The leaf of transition number `rank` (from 1) of the record `recordId`, stored just now. */
  transition(tenantId: string, kind: string, recordId: string, rank: number): void {
    this.insert(tenantId, kind, this.reserve(tenantId, kind, 1), recordId, rank);
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
