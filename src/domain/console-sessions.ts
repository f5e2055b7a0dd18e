import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleGrant, ConsoleSessionRepository } from './audit-store.js';
import { AuthenticationError, PermissionError } from './errors.js';
import { isAdmin, type Principal } from './principal.js';

/** How long a sign-in link works unless told otherwise: 10 minutes, in seconds. */
export const DEFAULT_LINK_TTL_SECONDS = 600;
/** The longest a sign-in link may work, in seconds (a day): it is a password in a URL. */
export const MAX_LINK_TTL_SECONDS = 86_400;
/** Bytes of randomness in a link secret and in a session id (256 bits). */
const SECRET_BYTES = 32;

/** A browser signed in: the cookie's value and what it grants until when. */
export interface SignedIn {
  /** The session id, sent only in the cookie; the store keeps its hash. */
  sessionId: string;
  principal: Principal;
  /** Epoch ms. */
  expiresAt: number;
}

/** A live session, as a request authenticated by its cookie sees it. */
export interface ActiveSession {
  principal: Principal;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * The web console's sign-in: one-time links minted by `sealog console-link`, or a token the
 * platform issued, each exchanged for a server-side session whose random id is the cookie. Links
 * and ids are 32 random bytes (base64url) stored only as SHA-256 hashes: a hash of 256 random bits
 * needs no salt or slow hash, and looking it up by equality leaks nothing of the id through timing.
 * Only admins sign in: the console is an admin's tool.
 */
export class ConsoleSessionService {
  constructor(
    private readonly store: ConsoleSessionRepository,
    /** sessionTtlMs: a session's lifetime (CONSOLE_SESSION_TTL). */
    private readonly settings: { sessionTtlMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores a link signing `principal` in once within `ttlSeconds`; returns its secret (to put in
   * the URL's fragment) and when it expires (epoch ms). PermissionError unless `principal` is an admin.
   */
  async issueLink(principal: Principal, ttlSeconds: number): Promise<{ secret: string; expiresAt: number }> {
    requireAdmin(principal, 'a sign-in link must grant the admin role');
    const nowMs = this.now();
    const secret = randomSecret();
    const expiresAt = nowMs + ttlSeconds * 1000;
    await this.store.insertLink(
      { linkHash: hashSecret(secret), ...grantOf(principal), createdAt: nowMs, expiresAt },
      nowMs,
    );
    return { secret, expiresAt };
  }

  /** Exchanges a link's secret for a session; AuthenticationError when unknown, used or expired. */
  async redeemLink(secret: string): Promise<SignedIn> {
    const nowMs = this.now();
    const sessionId = randomSecret();
    const session = await this.store.redeemLink(
      hashSecret(secret),
      { sessionHash: hashSecret(sessionId), createdAt: nowMs, expiresAt: nowMs + this.settings.sessionTtlMs },
      nowMs,
    );
    if (session === undefined) {
      throw new AuthenticationError(
        'this sign-in link is unknown, was used already or expired: ask for a new one (sealog console-link)',
      );
    }
    return { sessionId, principal: principalOf(session), expiresAt: session.expiresAt };
  }

  /**
   * Starts a session for `principal`, verified from a token; it ends at the session lifetime or at
   * `notAfterMs` (the token's expiry) if sooner, so that a session never outlives its credential.
   * PermissionError unless `principal` is an admin.
   */
  async signIn(principal: Principal, notAfterMs: number): Promise<SignedIn> {
    requireAdmin(principal, 'only admins use the console: this token holds no admin role');
    const nowMs = this.now();
    const sessionId = randomSecret();
    const expiresAt = Math.min(nowMs + this.settings.sessionTtlMs, notAfterMs);
    if (expiresAt <= nowMs) throw new AuthenticationError('token expired');
    await this.store.insertSession(
      { sessionHash: hashSecret(sessionId), ...grantOf(principal), createdAt: nowMs, expiresAt },
      nowMs,
    );
    return { sessionId, principal, expiresAt };
  }

  /** The live session of `sessionId`; undefined when it is unknown, ended or expired. */
  async find(sessionId: string): Promise<ActiveSession | undefined> {
    const session = await this.store.findSession(hashSecret(sessionId), this.now());
    return session && { principal: principalOf(session), expiresAt: session.expiresAt };
  }

  /** Ends the session of `sessionId` for good; nothing happens when there is none. */
  async signOut(sessionId: string): Promise<void> {
    await this.store.deleteSession(hashSecret(sessionId));
  }
}

function requireAdmin(principal: Principal, message: string): void {
  if (!isAdmin(principal)) throw new PermissionError(message);
}

function randomSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** SHA-256 of a secret, hex: what the store keeps of links and session ids. */
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function grantOf(principal: Principal): ConsoleGrant {
  return { subject: principal.subject, tenantId: principal.tenantId ?? null, roles: [...principal.roles] };
}

function principalOf(grant: ConsoleGrant): Principal {
  return { subject: grant.subject, tenantId: grant.tenantId ?? undefined, roles: grant.roles };
}
