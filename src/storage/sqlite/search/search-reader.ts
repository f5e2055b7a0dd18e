import Database from 'better-sqlite3';
import { StatementCache } from '../engine/statement-cache.js';
import { searchFilePath } from './search-index-file.js';

/**
 * A read-only connection to the store with its search file attached as `search`: what a
 * `key_words` search reads, in the process that indexes (search-indexer.ts) and in every other
 * process serving reads of the same file. The search file must exist (the indexer prepares it).
 */
export class SearchReader {
  private readonly reader: Database.Database;
  private readonly statements: StatementCache;
  private readonly lastSeq: Database.Statement;
  private readonly watermark: Database.Statement;

  constructor(storePath: string) {
    this.reader = new Database(storePath, { readonly: true, fileMustExist: true });
    this.reader.pragma('busy_timeout = 5000');
    this.reader.prepare('ATTACH ? AS search').run(searchFilePath(storePath));
    this.statements = new StatementCache(this.reader);
    this.lastSeq = this.reader.prepare('SELECT coalesce(max(seq), 0) FROM operate_logs').pluck();
    this.watermark = this.reader.prepare('SELECT indexed_through FROM search.search_index_state').pluck();
  }

  /** A statement on this connection (prepared once per SQL text). */
  prepare(sql: string): Database.Statement {
    return this.statements.prepare(sql);
  }

  /** The last operate-log seq the index covers. */
  indexedThrough(): number {
    return this.watermark.get() as number;
  }

  /** Rows stored but not yet indexed (the lag), read from both files, for monitoring and benchmarks. */
  pendingRows(): number {
    return Math.max(0, (this.lastSeq.get() as number) - this.indexedThrough());
  }

  close(): void {
    this.reader.close();
  }
}
