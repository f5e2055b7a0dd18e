import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system at once and handed out 8 at a time (as randomUUID caches). */
const POOL_BYTES = 8 * 512;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** 16 random hex digits (64 bits) from the pool, refilled from the CSPRNG when spent. */
function randomHex64(): string {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + 8);
  used += 8;
  return hex;
}

/**
 * A new id: the prefix, 12 hex digits of the epoch-ms time and 16 random hex digits, so ids
 * generated later sort after earlier ones and two ids never collide in practice (64 random bits).
 */
export function generateId(prefix: string, nowMs: number): string {
  return `${prefix}${nowMs.toString(16).padStart(12, '0')}${randomHex64()}`;
}
