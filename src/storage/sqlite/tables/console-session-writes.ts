import type Database from 'better-sqlite3';
import type { ConsoleLink, ConsoleSession, NewConsoleSession } from '../../../domain/audit-store.js';
import { StatementCache } from '../engine/statement-cache.js';

/** A link as stored: its roles as a JSON array. */
interface LinkRow {
  subject: string;
  tenant_id: string | null;
  roles: string;
  expires_at: number;
}

const INSERT_SESSION = `INSERT INTO console_sessions
  (session_hash, subject, tenant_id, roles, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`;

/** The console's link and session writes, synchronous on the writing connection `db` (see write-operations.ts). */
export function consoleSessionWrites(db: Database.Database) {
  const statements = new StatementCache(db);
  /** Expired links and sessions can never be used again. */
  const forgetExpired = (nowMs: number) => {
    statements.prepare('DELETE FROM console_links WHERE expires_at <= ?').run(nowMs);
    statements.prepare('DELETE FROM console_sessions WHERE expires_at <= ?').run(nowMs);
  };
  const insertSession = (session: ConsoleSession) => {
    statements
      .prepare(INSERT_SESSION)
      .run(
        session.sessionHash,
        session.subject,
        session.tenantId,
        JSON.stringify(session.roles),
        session.createdAt,
        session.expiresAt,
      );
  };
  return {
    insertConsoleLink(link: ConsoleLink, nowMs: number): void {
      db.transaction(() => {
        forgetExpired(nowMs);
        statements
          .prepare(
            `INSERT INTO console_links (link_hash, subject, tenant_id, roles, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(
            link.linkHash,
            link.subject,
            link.tenantId,
            JSON.stringify(link.roles),
            link.createdAt,
            link.expiresAt,
          );
      })();
    },

    /** Removes the link; stores the session with its grant when the link was live. */
    redeemConsoleLink(linkHash: string, next: NewConsoleSession, nowMs: number): ConsoleSession | undefined {
      return db
        .transaction(() => {
          const link = statements
            .prepare(
              'DELETE FROM console_links WHERE link_hash = ? RETURNING subject, tenant_id, roles, expires_at',
            )
            .get(linkHash) as LinkRow | undefined;
          if (link === undefined || link.expires_at <= nowMs) return undefined;
          const session: ConsoleSession = {
            ...next,
            subject: link.subject,
            tenantId: link.tenant_id,
            roles: JSON.parse(link.roles) as string[],
          };
          insertSession(session);
          return session;
        })
        .immediate();
    },

    insertConsoleSession(session: ConsoleSession, nowMs: number): void {
      db.transaction(() => {
        forgetExpired(nowMs);
        insertSession(session);
      })();
    },

    deleteConsoleSession(sessionHash: string): boolean {
      return (
        statements.prepare('DELETE FROM console_sessions WHERE session_hash = ?').run(sessionHash).changes > 0
      );
    },
  };
}
