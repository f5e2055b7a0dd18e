import type Database from 'better-sqlite3';
import type { ErasureSource } from '../../../sealing/erasure-follower.js';
import type { ErasureNotice } from '../../../sealing/subject-erasure.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';

interface ErasureRow {
  seq: number;
  tenant_id: string;
  subject: string;
  key_ids: string;
}

/** The erasures the embedded store recorded, read on the event loop's connection. */
export class SqliteErasureSource implements ErasureSource {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  latestSeq(): Promise<number> {
    return asPromise(
      () =>
        this.statements.prepare('SELECT coalesce(max(seq), 0) FROM subject_erasures').pluck().get() as number,
    );
  }

  after(seq: number, limit: number): Promise<ErasureNotice[]> {
    return asPromise(() =>
      (
        this.statements
          .prepare(
            'SELECT seq, tenant_id, subject, key_ids FROM subject_erasures WHERE seq > ? ORDER BY seq LIMIT ?',
          )
          .all(seq, limit) as ErasureRow[]
      ).map(toNotice),
    );
  }
}

function toNotice(row: ErasureRow): ErasureNotice {
  return {
    seq: row.seq,
    tenantId: row.tenant_id,
    subject: row.subject,
    keyIds: JSON.parse(row.key_ids) as string[],
  };
}
