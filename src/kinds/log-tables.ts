import { ACCESS_LOG_TABLE } from './access-log/access-log-table.js';
import { COMMUNICATION_LOG_TABLE } from './communication-log/communication-log-table.js';
import type { LogTable } from './log-table.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from './mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from './operate-log/operate-log-table.js';

/**
 * Every log kind's table, in the order tallies report them and copies walk them. What is common to
 * all kinds (tally, copy, export, partitions) reads this list; adding a kind adds it here.
 */
export const LOG_TABLES: readonly LogTable[] = [
  COMMUNICATION_LOG_TABLE,
  MFA_CONFIG_AUDIT_LOG_TABLE,
  OPERATE_LOG_TABLE,
  ACCESS_LOG_TABLE,
];

/** The description of the log table named `name`; undefined for a name that is none of them. */
export function logTableNamed(name: string): LogTable | undefined {
  return LOG_TABLES.find((table) => table.table === name);
}

/** The description of the log table of kind `kind`; throws for a kind sealog does not have. */
export function logTableOfKind(kind: string): LogTable {
  const table = LOG_TABLES.find((candidate) => candidate.kind === kind);
  if (table === undefined) throw new Error(`no log kind ${kind}`);
  return table;
}
