import { createHash, randomBytes } from 'node:crypto';
import type { TuyaProject } from '../config.js';
import type { AuditStore, TuyaTokenPair } from './audit-store.js';

/** The `result` of Tuya's token endpoints. */
export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  /** Seconds until the access token expires. */
  expire_time: number;
  uid: string;
}

/** What an access token presented by a project is worth. */
export type AccessTokenStatus = 'valid' | 'expired' | 'invalid';

/** Refresh tokens outlive access tokens so a client that was idle can still refresh. */
const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

/**
 * Tuya-style sessions of cloud projects: opaque random tokens, stored only as SHA-256 hashes so
 * they survive restarts without the store holding usable credentials; refresh rotates both tokens.
 */
export class TuyaSessionService {
  constructor(
    private readonly store: AuditStore,
    private readonly settings: { tokenTtlSeconds: number; signWindowSeconds: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Issues a new token pair to a project (grant_type=1). */
  async issue(project: TuyaProject): Promise<IssuedTokens> {
    const { pair, tokens } = this.newPair(project);
    await this.store.tuyaTokens.insert(pair);
    return tokens;
  }

  /** Rotates a live refresh token into a new pair; undefined when it is unknown, used or expired. */
  async refresh(project: TuyaProject, refreshToken: string): Promise<IssuedTokens | undefined> {
    const { pair, tokens } = this.newPair(project);
    const rotated = await this.store.tuyaTokens.rotate(
      project.clientId,
      hashToken(refreshToken),
      pair,
      this.now(),
    );
    return rotated ? tokens : undefined;
  }

  /**
   * `expired` for a token this project once held that has expired or was ended by a refresh (the
   * official SDK refreshes on that answer), `invalid` for anything else that is not valid.
   */
  async check(project: TuyaProject, accessToken: string): Promise<AccessTokenStatus> {
    const pair = await this.store.tuyaTokens.findByAccessHash(hashToken(accessToken));
    if (pair?.clientId !== project.clientId) return 'invalid';
    return pair.revokedAt === null && pair.accessExpiresAt > this.now() ? 'valid' : 'expired';
  }

  /** False when the project used this nonce within the signing window already: a replay. */
  acceptNonce(project: TuyaProject, nonce: string): Promise<boolean> {
    const nowMs = this.now();
    // A nonce must be remembered as long as its request's t can still be accepted.
    const keepUntil = nowMs + 2 * this.settings.signWindowSeconds * 1000;
    return this.store.nonces.remember(project.clientId, nonce, keepUntil, nowMs);
  }

  private newPair(project: TuyaProject): { pair: TuyaTokenPair; tokens: IssuedTokens } {
    const nowMs = this.now();
    const accessToken = randomBytes(16).toString('hex');
    const refreshToken = randomBytes(16).toString('hex');
    const uid = `sealog_${createHash('sha256').update(project.clientId).digest('hex').slice(0, 16)}`;
    return {
      pair: {
        accessHash: hashToken(accessToken),
        refreshHash: hashToken(refreshToken),
        clientId: project.clientId,
        uid,
        issuedAt: nowMs,
        accessExpiresAt: nowMs + this.settings.tokenTtlSeconds * 1000,
        refreshExpiresAt: nowMs + REFRESH_TOKEN_TTL_MS,
        revokedAt: null,
      },
      tokens: {
        access_token: accessToken,
        refresh_token: refreshToken,
        expire_time: this.settings.tokenTtlSeconds,
        uid,
      },
    };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
