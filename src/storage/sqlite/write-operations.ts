import type Database from 'better-sqlite3';
import { communicationLogWrites } from './communication-log-repository.js';
import { mfaConfigAuditLogWrites } from './mfa-config-audit-log-repository.js';
import { nonceWrites } from './nonce-repository.js';
import { operateLogWrites } from './operate-log-repository.js';
import { tuyaTokenWrites } from './tuya-token-repository.js';

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
