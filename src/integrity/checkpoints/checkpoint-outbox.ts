/**
 * The publishing outbox (docs/design §6): the stored checkpoints themselves, each with a "done"
 * flag per target and the URL's retry state, so that what is not yet published outside the
 * database survives a restart. A port the stores implement beside IntegrityStore, and its
 * in-memory implementation.
 */
import type { LogId, StoredCheckpoint } from '../sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../sequencing/memory-integrity-store.js';

/** Where a checkpoint is published: CHECKPOINT_DIR or CHECKPOINT_URL. */
export type PublishTarget = 'dir' | 'url';

/** A stored checkpoint not yet published to some target. */
export interface OutboxEntry extends LogId, StoredCheckpoint {
  /** Failed POSTs of it so far (0 for the directory). */
  attempts: number;
  /** Epoch ms before which it is not POSTed again; undefined when never failed. */
  nextAttemptAt: number | undefined;
}

/**
 * What a store adds to its checkpoints to serve as the publishing outbox: per checkpoint a done
 * flag per target, plus the URL's failed attempts and next attempt time (docs/design §6:
 * dir_done, url_done, url_attempts, url_next_at). Every stored checkpoint starts unpublished.
 */
export interface CheckpointOutbox {
  /** Up to `limit` checkpoints not yet published to `target`, in the order they were stored (signedAt, then size). */
  unpublished(target: PublishTarget, limit: number): Promise<OutboxEntry[]>;
  /** Marks the checkpoint of `log` at `size` published to `target` (idempotent). */
  markPublished(log: LogId, size: number, target: PublishTarget): Promise<void>;
  /** Counts a failed POST of the checkpoint of `log` at `size`; not retried before `nextAttemptAt` (epoch ms). */
  recordFailure(log: LogId, size: number, nextAttemptAt: number): Promise<void>;
}

/** The memory store with its outbox: every checkpoint stored through it enters both targets' queues. */
export class MemoryOutboxIntegrityStore extends MemoryIntegrityStore implements CheckpointOutbox {
  private readonly pending: Record<PublishTarget, OutboxEntry[]> = { dir: [], url: [] };

  override async storeCheckpoint(
    log: LogId,
    checkpoint: StoredCheckpoint,
    expectedLatest: number | undefined,
  ): Promise<boolean> {
    const stored = await super.storeCheckpoint(log, checkpoint, expectedLatest);
    for (const queue of stored ? Object.values(this.pending) : []) {
      const { tenantId, kind } = log;
      const { size, root, note, signedAt } = checkpoint;
      queue.push({
        tenantId,
        kind,
        size,
        root: Buffer.from(root),
        note,
        signedAt,
        attempts: 0,
        nextAttemptAt: undefined,
      });
    }
    return stored;
  }

  unpublished(target: PublishTarget, limit: number): Promise<OutboxEntry[]> {
    return Promise.resolve(
      this.pending[target]
        .slice(0, Math.max(0, limit))
        .map((entry) => ({ ...entry, root: Buffer.from(entry.root) })),
    );
  }

  markPublished(log: LogId, size: number, target: PublishTarget): Promise<void> {
    const at = this.pending[target].findIndex((entry) => sameEntry(entry, log, size));
    if (at >= 0) this.pending[target].splice(at, 1);
    return Promise.resolve();
  }

  recordFailure(log: LogId, size: number, nextAttemptAt: number): Promise<void> {
    const entry = this.pending.url.find((candidate) => sameEntry(candidate, log, size));
    if (entry !== undefined) Object.assign(entry, { attempts: entry.attempts + 1, nextAttemptAt });
    return Promise.resolve();
  }
}

function sameEntry(entry: OutboxEntry, log: LogId, size: number): boolean {
  return entry.tenantId === log.tenantId && entry.kind === log.kind && entry.size === size;
}
