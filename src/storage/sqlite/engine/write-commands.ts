import { deserialize, serialize } from 'node:v8';
import type {
  ConsoleLink,
  ConsoleSession,
  NewConsoleSession,
  RetentionOverrideChange,
  TuyaTokenPair,
} from '../../../domain/audit-store.js';
import type { CommunicationLogWithHistory } from '../../../kinds/communication-log/communication-log-repository.js';
import type { StatusTransition } from '../../../kinds/communication-log/communication-log-table.js';
import type { LogRow } from '../../../kinds/log-table.js';
import type { AppendedCount, StoredOutcome } from '../../../domain/after-commit.js';
import type { StoredSubjectKey } from '../../../sealing/subject-key-ring.js';
import type { LogId, StoredCheckpoint, TreeUpdate } from '../../../integrity/sequencing/integrity-store.js';
import type { PublishTarget } from '../../../integrity/checkpoints/checkpoint-outbox.js';
import type { LogIdentity } from '../../../integrity/integrity-log.js';
import type { ErasureRequest } from '../../../sealing/subject-erasure.js';
import type { ErasedInStore } from '../tables/subject-erasure-writes.js';
import type { ScannedOperateLogs } from '../tables/subject-erasure-scan.js';
import type { PurgedBatch } from '../tables/purge-writes.js';
import type { PurgeReport } from '../../../retention/purge-store.js';
import type {
  DeliveryCommit,
  DeliveryFailure,
  StreamKey,
  StreamLease,
  StreamPosition,
  StreamPut,
} from '../../../streams/stream-store.js';

/**
 * Every write the embedded store makes, as data: this is all that crosses to the writer thread
 * (writer-thread.ts), so every field must survive structured cloning (plain rows, strings,
 * numbers). A log table travels by name; the thread looks its description up in LOG_TABLES. Rows
 * travel sealed (as stored), with the subject keys created for them, stored in the same transaction.
 */
export type WriteCommand =
  | {
      type: 'insert-rows';
      table: string;
      rows: readonly LogRow[];
      subjectKeys: readonly StoredSubjectKey[];
      /** The rows' leaf hashes (32 bytes each, in the order of `rows`), when the sender made them. */
      leafHashes?: Uint8Array;
    }
  | { type: 'apply-transition'; transition: StatusTransition; subjectKeys: readonly StoredSubjectKey[] }
  | {
      type: 'import-communication-logs';
      entries: readonly CommunicationLogWithHistory[];
      subjectKeys: readonly StoredSubjectKey[];
    }
  | { type: 'append-tree'; log: LogId; update: TreeUpdate }
  | { type: 'store-checkpoint'; log: LogId; checkpoint: StoredCheckpoint; expectedLatest: number | undefined }
  | { type: 'mark-published'; log: LogId; size: number; target: PublishTarget }
  | { type: 'record-publish-failure'; log: LogId; size: number; nextAttemptAt: number }
  | { type: 'claim-identity'; identity: LogIdentity }
  | { type: 'insert-tuya-token'; pair: TuyaTokenPair }
  | { type: 'rotate-tuya-token'; clientId: string; refreshHash: string; next: TuyaTokenPair; nowMs: number }
  | { type: 'remember-nonce'; clientId: string; nonce: string; expiresAt: number; nowMs: number }
  | { type: 'insert-console-link'; link: ConsoleLink; nowMs: number }
  | { type: 'redeem-console-link'; linkHash: string; session: NewConsoleSession; nowMs: number }
  | { type: 'insert-console-session'; session: ConsoleSession; nowMs: number }
  | { type: 'delete-console-session'; sessionHash: string }
  /** `operateLogs`: what a reader found of the subject's operate logs just before. */
  | { type: 'erase-subject'; request: ErasureRequest; operateLogs: ScannedOperateLogs }
  /** After an erasure's commit, outside any transaction (see STANDALONE_COMMANDS). */
  | { type: 'scrub-erased'; searchSeqs: readonly number[]; truncate: boolean }
  | { type: 'claim-purge-lease'; holder: string; nowMs: number; untilMs: number }
  | { type: 'release-purge-lease'; holder: string }
  | { type: 'purge-batch'; table: string; tenantId: string; cutoffMs: number; limit: number; nowMs: number }
  /** After a purge batch's commit, outside any transaction: its trigram entries. */
  | { type: 'forget-search-entries'; searchSeqs: readonly number[] }
  | { type: 'record-purge-reports'; reports: readonly PurgeReport[] }
  /** Returns up to `pages` free pages to the file system (stores made with incremental vacuum). */
  | { type: 'reclaim-space'; pages: number }
  | {
      type: 'put-retention-overrides';
      tenantId: string;
      changes: readonly RetentionOverrideChange[];
      updatedBy: string;
      nowMs: number;
    }
  /** A stream's definition; `put.secrets` sealed. */
  | { type: 'put-stream'; put: StreamPut; nowMs: number }
  | { type: 'delete-stream'; key: StreamKey }
  | { type: 'pause-stream'; key: StreamKey; reason: string | null; nowMs: number }
  | { type: 'rewind-stream'; key: StreamKey; positions: readonly StreamPosition[]; nowMs: number }
  | { type: 'claim-stream-lease'; key: StreamKey; holder: string; nowMs: number; untilMs: number }
  | { type: 'release-stream-lease'; key: StreamKey; holder: string }
  | { type: 'commit-stream-delivery'; key: StreamKey; lease: StreamLease; commit: DeliveryCommit }
  | { type: 'record-stream-failure'; key: StreamKey; lease: StreamLease; failure: DeliveryFailure };

/**
 * Commands that run alone between two group commits rather than inside one: a WAL checkpoint
 * cannot run inside a transaction.
 */
export const STANDALONE_COMMANDS: ReadonlySet<WriteCommand['type']> = new Set([
  'scrub-erased',
  'forget-search-entries',
  'reclaim-space',
]);

/** What each command answers once committed. */
export interface WriteResults {
  'insert-rows': StoredOutcome;
  'apply-transition': boolean;
  'import-communication-logs': StoredOutcome;
  'append-tree': boolean;
  'store-checkpoint': boolean;
  'mark-published': undefined;
  'record-publish-failure': undefined;
  'claim-identity': LogIdentity;
  'insert-tuya-token': undefined;
  'rotate-tuya-token': boolean;
  'remember-nonce': boolean;
  'insert-console-link': undefined;
  'redeem-console-link': ConsoleSession | undefined;
  'insert-console-session': undefined;
  'delete-console-session': boolean;
  'erase-subject': ErasedInStore;
  /** Whether the files hold no copy of the erased bytes any more (false: readers kept a WAL busy). */
  'scrub-erased': boolean;
  'claim-purge-lease': boolean;
  'release-purge-lease': undefined;
  'purge-batch': PurgedBatch;
  'forget-search-entries': undefined;
  'record-purge-reports': undefined;
  /** Free pages left after this step. */
  'reclaim-space': number;
  'put-retention-overrides': undefined;
  /** Whether the stream was created. */
  'put-stream': boolean;
  'delete-stream': boolean;
  'pause-stream': boolean;
  'rewind-stream': boolean;
  'claim-stream-lease': StreamLease | undefined;
  'release-stream-lease': undefined;
  'commit-stream-delivery': boolean;
  'record-stream-failure': boolean;
}

/** The answer to `command`. */
export type WriteResult<Command extends WriteCommand> = WriteResults[Command['type']];

/** A function per command type, each running it synchronously on the writing connection. */
export type WriteHandlers = {
  [Type in WriteCommand['type']]: (command: Extract<WriteCommand, { type: Type }>) => WriteResults[Type];
};

/**
 * A command serialized once, where it was made (a worker process), and deserialized once, on the
 * writer thread: the primary process that relays it between them never clones its rows. Its type
 * and table travel beside the bytes, for what the primary publishes after the commit.
 */
export interface PackedWriteCommand {
  type: WriteCommand['type'];
  /** The log table of an `insert-rows`. */
  table?: string;
  bytes: Uint8Array;
}

/** The answer to a packed command, with the counts the relaying process publishes. */
export interface PackedWriteResult {
  value: unknown;
  /** Rows stored per tenant, in order of first appearance; empty for a command that stores none. */
  appended: AppendedCount[];
}

/** `command` as bytes (v8.serialize, the format structured cloning uses). */
export function packCommand(command: WriteCommand): PackedWriteCommand {
  return {
    type: command.type,
    ...(command.type === 'insert-rows' ? { table: command.table } : {}),
    bytes: serialize(command),
  };
}

/** The command again, on the writer thread (the sender's types checked it). */
export function unpackCommand(packed: PackedWriteCommand): WriteCommand {
  return deserialize(packed.bytes) as WriteCommand;
}

/** True for a command that travels as bytes. */
export function isPacked(command: WriteCommand | PackedWriteCommand): command is PackedWriteCommand {
  return 'bytes' in command;
}

/** How many rows `command` stored per tenant, from its committed `value` (`stored` positions). */
export function appendedCounts(command: WriteCommand, value: unknown): AppendedCount[] {
  let tenants: readonly string[];
  if (command.type === 'insert-rows') tenants = command.rows.map((row) => row.tenant_id);
  else if (command.type === 'import-communication-logs')
    tenants = command.entries.map(({ log }) => log.tenant_id);
  else return [];
  const counts = new Map<string, number>();
  for (const position of (value as StoredOutcome).stored) {
    const tenantId = tenants[position];
    if (tenantId !== undefined) counts.set(tenantId, (counts.get(tenantId) ?? 0) + 1);
  }
  return [...counts].map(([tenantId, count]) => ({ tenantId, count }));
}
