import type { MasterKeys } from '../sealing/master-keys.js';
import type { StoredStream, StreamKey } from '../streams/stream-store.js';

/** A `streams` row as both stores read it (bigint columns as numbers or numeric text). */
export interface StreamRow {
  owner: string;
  name: string;
  definition: string;
  secrets: string;
  version: number | string;
  paused_reason: string | null;
  paused_at: number | string | null;
  failing_since: number | string | null;
  last_success_at: number | string | null;
  last_error_at: number | string | null;
  last_error: string | null;
  caught_up_at: number | string | null;
  events_delivered: number | string;
  bytes_delivered: number | string;
  created_at: number | string;
  updated_at: number | string;
}

/** The columns of StreamRow, for SELECT lists. */
export const STREAM_COLUMNS =
  'owner, name, definition, secrets, version, paused_reason, paused_at, failing_since, last_success_at, ' +
  'last_error_at, last_error, caught_up_at, events_delivered, bytes_delivered, created_at, updated_at';

/** What a stream's sealed secrets are bound to: they open for this stream only. */
export function secretsContext(key: StreamKey): string[] {
  return ['stream-secrets', key.owner, key.name];
}

const numberOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

/** `row` as the port's StoredStream, its secrets opened with `masterKeys`. */
export function storedStreamOf(row: StreamRow, masterKeys: MasterKeys): StoredStream {
  return {
    owner: row.owner,
    name: row.name,
    definition: row.definition,
    secrets: masterKeys.openText(secretsContext(row), row.secrets),
    version: Number(row.version),
    pausedReason: row.paused_reason,
    pausedAt: numberOrNull(row.paused_at),
    failingSince: numberOrNull(row.failing_since),
    lastSuccessAt: numberOrNull(row.last_success_at),
    lastErrorAt: numberOrNull(row.last_error_at),
    lastError: row.last_error,
    caughtUpAt: numberOrNull(row.caught_up_at),
    eventsDelivered: Number(row.events_delivered),
    bytesDelivered: Number(row.bytes_delivered),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
