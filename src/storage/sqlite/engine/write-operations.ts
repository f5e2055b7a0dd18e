import type Database from 'better-sqlite3';
import { HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import type { LogRow } from '../../../kinds/log-table.js';
import { LOG_TABLES } from '../../../kinds/log-tables.js';
import { communicationLogWrites } from '../tables/communication-log-writes.js';
import { consoleSessionWrites } from '../tables/console-session-writes.js';
import { nonceWrites } from '../tables/nonce-writes.js';
import { retentionOverrideWrites } from '../tables/retention-override-writes.js';
import { subjectKeyWrites } from '../tables/subject-key-repository.js';
import { forgetSearchEntries, subjectErasureWrites } from '../tables/subject-erasure-writes.js';
import { purgeWrites, reclaimSpace } from '../tables/purge-writes.js';
import { searchFilePath } from '../search/search-index-file.js';
import { LeafAssignment } from '../tables/leaf-assignment.js';
import { IntegrityWrites } from '../integrity/integrity-writes.js';
import { InlineTreeGrowth } from '../integrity/inline-tree-growth.js';
import { TableAccess } from '../tables/table-access.js';
import { tuyaTokenWrites } from '../tables/tuya-token-writes.js';
import { streamWrites } from '../tables/stream-writes.js';
import type { WriteCommand, WriteHandlers } from './write-commands.js';

/**
 * Runs write commands synchronously on the one writing connection `db`, on whichever thread holds
 * it (the writer thread for a store file, the event loop for an in-memory store).
 */
export function writeOperations(db: Database.Database): (command: WriteCommand) => unknown {
  const tables = new Map(LOG_TABLES.map((table) => [table.table, new TableAccess<LogRow>(db, table)]));
  const integrity = new IntegrityWrites(db);
  const leaves = new LeafAssignment(db, new InlineTreeGrowth(db, integrity));
  const communicationLogs = communicationLogWrites(db, leaves);
  const tuyaTokens = tuyaTokenWrites(db);
  const nonces = nonceWrites(db);
  const consoleSessions = consoleSessionWrites(db);
  const retention = retentionOverrideWrites(db);
  const storeKeys = subjectKeyWrites(db);
  const erasure = subjectErasureWrites(db);
  const purge = purgeWrites(db);
  const streams = streamWrites(db);
  const handlers: WriteHandlers = {
    'insert-rows': ({ table, rows, subjectKeys, leafHashes }) => {
      const access = tables.get(table);
      if (access === undefined) throw new Error(`no log table ${table}`);
      return access.insertMany(
        rows,
        () => {
          storeKeys(subjectKeys);
        },
        (stored) => {
          leaves.records(
            access.table.kind,
            stored,
            leafHashes && { leafHashOf: hashesByRow(rows, leafHashes) },
          );
        },
      );
    },
    'apply-transition': ({ transition, subjectKeys }) =>
      communicationLogs.applyTransition(transition, () => {
        storeKeys(subjectKeys);
      }),
    'import-communication-logs': ({ entries, subjectKeys }) =>
      communicationLogs.importCommunicationLogs(entries, () => {
        storeKeys(subjectKeys);
      }),
    'append-tree': ({ log, update }) => integrity.appendTree(log, update),
    'store-checkpoint': ({ log, checkpoint, expectedLatest }) =>
      integrity.storeCheckpoint(log, checkpoint, expectedLatest),
    'mark-published': ({ log, size, target }) => {
      integrity.markPublished(log, size, target);
      return undefined;
    },
    'record-publish-failure': ({ log, size, nextAttemptAt }) => {
      integrity.recordPublishFailure(log, size, nextAttemptAt);
      return undefined;
    },
    'claim-identity': ({ identity }) => integrity.claimIdentity(identity),
    'insert-tuya-token': ({ pair }) => {
      tuyaTokens.insertTuyaToken(pair);
      return undefined;
    },
    'rotate-tuya-token': ({ clientId, refreshHash, next, nowMs }) =>
      tuyaTokens.rotateTuyaToken(clientId, refreshHash, next, nowMs),
    'remember-nonce': ({ clientId, nonce, expiresAt, nowMs }) =>
      nonces.rememberNonce(clientId, nonce, expiresAt, nowMs),
    'insert-console-link': ({ link, nowMs }) => {
      consoleSessions.insertConsoleLink(link, nowMs);
      return undefined;
    },
    'redeem-console-link': ({ linkHash, session, nowMs }) =>
      consoleSessions.redeemConsoleLink(linkHash, session, nowMs),
    'insert-console-session': ({ session, nowMs }) => {
      consoleSessions.insertConsoleSession(session, nowMs);
      return undefined;
    },
    'delete-console-session': ({ sessionHash }) => consoleSessions.deleteConsoleSession(sessionHash),
    'erase-subject': ({ request, operateLogs }) => erasure.erase(request, operateLogs),
    'scrub-erased': ({ searchSeqs, truncate }) => erasure.scrub(searchSeqs, truncate),
    'claim-purge-lease': ({ holder, nowMs, untilMs }) => purge.claimLease(holder, nowMs, untilMs),
    'release-purge-lease': ({ holder }) => {
      purge.releaseLease(holder);
      return undefined;
    },
    'purge-batch': ({ table, tenantId, cutoffMs, limit, nowMs }) => {
      const access = tables.get(table);
      if (access === undefined) throw new Error(`no log table ${table}`);
      return purge.purgeBatch(access.table, tenantId, cutoffMs, limit, nowMs);
    },
    'forget-search-entries': ({ searchSeqs }) => {
      if (!db.memory) forgetSearchEntries(searchFilePath(db.name), searchSeqs, false);
      return undefined;
    },
    'record-purge-reports': ({ reports }) => {
      purge.recordReports(reports);
      return undefined;
    },
    'reclaim-space': ({ pages }) => reclaimSpace(db, pages),
    'put-retention-overrides': ({ tenantId, changes, updatedBy, nowMs }) => {
      retention.putRetentionOverrides(tenantId, changes, updatedBy, nowMs);
      return undefined;
    },
    'put-stream': ({ put, nowMs }) => streams.putStream(put, nowMs),
    'delete-stream': ({ key }) => streams.deleteStream(key),
    'pause-stream': ({ key, reason, nowMs }) => streams.pauseStream(key, reason, nowMs),
    'rewind-stream': ({ key, positions, nowMs }) => streams.rewindStream(key, positions, nowMs),
    'claim-stream-lease': ({ key, holder, nowMs, untilMs }) =>
      streams.claimStreamLease(key, holder, nowMs, untilMs),
    'release-stream-lease': ({ key, holder }) => {
      streams.releaseStreamLease(key, holder);
      return undefined;
    },
    'commit-stream-delivery': ({ key, lease, commit }) => streams.commitStreamDelivery(key, lease, commit),
    'record-stream-failure': ({ key, lease, failure }) => streams.recordStreamFailure(key, lease, failure),
  };
  // TypeScript cannot narrow a handler by the command's type through an index.
  const run = handlers as unknown as Record<WriteCommand['type'], (command: WriteCommand) => unknown>;
  return (command) => run[command.type](command);
}

/**
 * The leaf hash of each of `rows` from `hashes` (32 bytes per row, in order; bytes that crossed a
 * thread arrive as a Uint8Array). A row without its 32 bytes has none: the TreeBuilder hashes it.
 */
function hashesByRow(rows: readonly LogRow[], hashes: Uint8Array): (row: LogRow) => Buffer | undefined {
  const bytes = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  const positions = new Map(rows.map((row, position) => [row, position]));
  return (row) => {
    const position = positions.get(row);
    if (position === undefined || (position + 1) * HASH_BYTES > bytes.length) return undefined;
    return bytes.subarray(position * HASH_BYTES, (position + 1) * HASH_BYTES);
  };
}
