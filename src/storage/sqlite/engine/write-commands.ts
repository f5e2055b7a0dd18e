import type { TuyaTokenPair } from '../../../domain/audit-store.js';
import type { CommunicationLogWithHistory } from '../../../kinds/communication-log/communication-log-repository.js';
import type { StatusTransition } from '../../../kinds/communication-log/communication-log-table.js';
import type { LogRow } from '../../../kinds/log-table.js';
import type { StoredOutcome } from '../../../domain/after-commit.js';

/**
 * Every write the embedded store makes, as data: this is all that crosses to the writer thread
 * (writer-thread.ts), so every field must survive structured cloning (plain rows, strings,
 * numbers). A log table travels by name; the thread looks its description up in LOG_TABLES.
 */
export type WriteCommand =
  | { type: 'insert-rows'; table: string; rows: readonly LogRow[] }
  | { type: 'apply-transition'; transition: StatusTransition }
  | { type: 'import-communication-logs'; entries: readonly CommunicationLogWithHistory[] }
  | { type: 'insert-tuya-token'; pair: TuyaTokenPair }
  | { type: 'rotate-tuya-token'; clientId: string; refreshHash: string; next: TuyaTokenPair; nowMs: number }
  | { type: 'remember-nonce'; clientId: string; nonce: string; expiresAt: number; nowMs: number };

/** What each command answers once committed. */
export interface WriteResults {
  'insert-rows': StoredOutcome;
  'apply-transition': boolean;
  'import-communication-logs': StoredOutcome;
  'insert-tuya-token': undefined;
  'rotate-tuya-token': boolean;
  'remember-nonce': boolean;
}

/** The answer to `command`. */
export type WriteResult<Command extends WriteCommand> = WriteResults[Command['type']];

/** A function per command type, each running it synchronously on the writing connection. */
export type WriteHandlers = {
  [Type in WriteCommand['type']]: (command: Extract<WriteCommand, { type: Type }>) => WriteResults[Type];
};
