import type Database from 'better-sqlite3';
import type {
  ConsoleLink,
  ConsoleSession,
  ConsoleSessionRepository,
  NewConsoleSession,
} from '../../../domain/audit-store.js';
import { asPromise } from '../engine/as-promise.js';
import { StatementCache } from '../engine/statement-cache.js';
import type { StoreWriter } from '../engine/store-writer.js';

interface SessionRow {
  session_hash: string;
  subject: string;
  tenant_id: string | null;
  roles: string;
  created_at: number;
  expires_at: number;
}

/** Reads on `db`; writes go to `writer` (see console-session-writes.ts). */
export class SqliteConsoleSessionRepository implements ConsoleSessionRepository {
  private readonly statements: StatementCache;

  constructor(
    db: Database.Database,
    private readonly writer: StoreWriter,
  ) {
    // Every request the console makes looks its session up: prepared once, on first use.
    this.statements = new StatementCache(db);
  }

  insertLink(link: ConsoleLink, nowMs: number): Promise<void> {
    return this.writer.run({ type: 'insert-console-link', link, nowMs });
  }

  redeemLink(
    linkHash: string,
    session: NewConsoleSession,
    nowMs: number,
  ): Promise<ConsoleSession | undefined> {
    return this.writer.run({ type: 'redeem-console-link', linkHash, session, nowMs });
  }

  insertSession(session: ConsoleSession, nowMs: number): Promise<void> {
    return this.writer.run({ type: 'insert-console-session', session, nowMs });
  }

  findSession(sessionHash: string, nowMs: number): Promise<ConsoleSession | undefined> {
    return asPromise(() => {
      const row = this.statements
        .prepare('SELECT * FROM console_sessions WHERE session_hash = ? AND expires_at > ?')
        .get(sessionHash, nowMs) as SessionRow | undefined;
      return (
        row && {
          sessionHash: row.session_hash,
          subject: row.subject,
          tenantId: row.tenant_id,
          roles: JSON.parse(row.roles) as string[],
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      );
    });
  }

  deleteSession(sessionHash: string): Promise<boolean> {
    return this.writer.run({ type: 'delete-console-session', sessionHash });
  }
}
