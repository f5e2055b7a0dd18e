import { randomBytes } from 'node:crypto';

/**
 * A new id: the prefix, 12 hex digits of the epoch-ms time and 16 random hex digits, so ids
 * generated later sort after earlier ones and two ids never collide in practice (64 random bits).
 */
export function generateId(prefix: string, nowMs: number): string {
  return `${prefix}${nowMs.toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;
}
