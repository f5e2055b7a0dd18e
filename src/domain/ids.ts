import { randomBytes } from 'node:crypto';

/** Id prefixes of generated ids, one per log kind, as the seeds show (`log_abc123`). */
export const ID_PREFIX = { communication: 'log_', mfa: 'mfa_', operate: 'op_' } as const;

/**
 * A new id: the prefix, 12 hex digits of the epoch-ms time and 16 random hex digits, so ids
 * generated later sort after earlier ones and two ids never collide in practice (64 random bits).
 */
export function generateId(prefix: string, nowMs: number): string {
  return `${prefix}${nowMs.toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;
}
