import type { StoredCheckpoint } from '../sequencing/integrity-store.js';
import type { OutboxEntry } from './checkpoint-outbox.js';

/** A row of `integrity_checkpoints` as both stores read it (bigint columns as numbers). */
export interface CheckpointRow {
  tree_size: number;
  root: Buffer;
  note: string;
  signed_at: number;
}

/** A checkpoint row's outbox columns, besides its checkpoint. */
export interface OutboxColumns {
  tenant_id: string;
  kind: string;
  url_attempts: number;
  url_next_at: number;
}

/** The checkpoint a row holds. */
export function checkpointOf(row: CheckpointRow): StoredCheckpoint {
  return { size: row.tree_size, root: Buffer.from(row.root), note: row.note, signedAt: row.signed_at };
}

/** The outbox entry a row read with its outbox columns holds. */
export function outboxEntryOf(row: CheckpointRow & OutboxColumns): OutboxEntry {
  return {
    tenantId: row.tenant_id,
    kind: row.kind,
    ...checkpointOf(row),
    attempts: row.url_attempts,
    nextAttemptAt: row.url_attempts === 0 ? undefined : row.url_next_at,
  };
}
