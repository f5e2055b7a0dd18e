import type Database from 'better-sqlite3';
import { communicationLogWrites } from './communication-log-writes.js';
import { mfaConfigAuditLogWrites } from './mfa-config-audit-log-writes.js';
import { nonceWrites } from './nonce-writes.js';
import { operateLogWrites } from './operate-log-writes.js';
import { tuyaTokenWrites } from './tuya-token-writes.js';

/**
 * Every write the embedded store makes, by name, as synchronous functions on the one writing
 * connection `db`. Names and arguments are all that crosses to the writer thread (writer-thread.ts),
 * so arguments and results must survive structured cloning: plain rows, strings and numbers.
 */
export function writeOperations(db: Database.Database) {
  return {
    ...communicationLogWrites(db),
    ...mfaConfigAuditLogWrites(db),
    ...operateLogWrites(db),
    ...tuyaTokenWrites(db),
    ...nonceWrites(db),
  };
}

export type WriteOperations = ReturnType<typeof writeOperations>;
export type WriteName = keyof WriteOperations;
