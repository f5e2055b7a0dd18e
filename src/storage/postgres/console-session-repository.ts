import type {
  ConsoleLink,
  ConsoleSession,
  ConsoleSessionRepository,
  NewConsoleSession,
} from '../../domain/audit-store.js';
import type { PgExecutor } from './pg-executor.js';

/** A row as selected: roles still JSON text. */
type StoredSession = Omit<ConsoleSession, 'roles'> & { roles: string };

const SESSION_COLUMNS = `session_hash AS "sessionHash", subject, tenant_id AS "tenantId", roles,
  created_at AS "createdAt", expires_at AS "expiresAt"`;

/** Expired links and sessions can never be used again: removed as a new one is stored. */
const FORGET_EXPIRED = `purged_links AS (DELETE FROM console_links WHERE expires_at <= $7),
  purged_sessions AS (DELETE FROM console_sessions WHERE expires_at <= $7)`;

const sessionOf = (row: StoredSession): ConsoleSession => ({
  ...row,
  roles: JSON.parse(row.roles) as string[],
});

export class PgConsoleSessionRepository implements ConsoleSessionRepository {
  constructor(private readonly db: PgExecutor) {}

  async insertLink(link: ConsoleLink, nowMs: number): Promise<void> {
    await this.db.query(
      `WITH ${FORGET_EXPIRED}
       INSERT INTO console_links (link_hash, subject, tenant_id, roles, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        link.linkHash,
        link.subject,
        link.tenantId,
        JSON.stringify(link.roles),
        link.createdAt,
        link.expiresAt,
        nowMs,
      ],
    );
  }

  /**
   * One statement: the DELETE's row lock makes a concurrent second redemption find the link gone,
   * so a link works once; the session is stored only from a link that had not expired.
   */
  async redeemLink(
    linkHash: string,
    session: NewConsoleSession,
    nowMs: number,
  ): Promise<ConsoleSession | undefined> {
    const [row] = await this.db.query<StoredSession>(
      `WITH consumed AS (
         DELETE FROM console_links WHERE link_hash = $1 RETURNING subject, tenant_id, roles, expires_at),
       stored AS (
         INSERT INTO console_sessions (session_hash, subject, tenant_id, roles, created_at, expires_at)
         SELECT $2, subject, tenant_id, roles, $3, $4 FROM consumed WHERE expires_at > $5
         RETURNING ${SESSION_COLUMNS})
       SELECT * FROM stored`,
      [linkHash, session.sessionHash, session.createdAt, session.expiresAt, nowMs],
    );
    return row && sessionOf(row);
  }

  async insertSession(session: ConsoleSession, nowMs: number): Promise<void> {
    await this.db.query(
      `WITH ${FORGET_EXPIRED}
       INSERT INTO console_sessions (session_hash, subject, tenant_id, roles, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        session.sessionHash,
        session.subject,
        session.tenantId,
        JSON.stringify(session.roles),
        session.createdAt,
        session.expiresAt,
        nowMs,
      ],
    );
  }

  async findSession(sessionHash: string, nowMs: number): Promise<ConsoleSession | undefined> {
    const [row] = await this.db.query<StoredSession>(
      `SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE session_hash = $1 AND expires_at > $2`,
      [sessionHash, nowMs],
    );
    return row && sessionOf(row);
  }

  async deleteSession(sessionHash: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM console_sessions WHERE session_hash = $1 RETURNING 1', [
      sessionHash,
    ]);
    return rows.length > 0;
  }
}
