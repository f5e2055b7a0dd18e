/**
 * Signs a log's checkpoint (docs/design §6) under the rule that sealog never signs two checkpoints
 * of one log that are inconsistent with each other: the tree to sign must extend, as consistency
 * proofs from the stored tiles show, every head this signer knows of — the latest stored
 * checkpoint, the latest this process signed or served (a store rolled back under a running
 * process is caught), and, when configured, the newest one published outside the database. A
 * refusal is an alarm: it is reported and thrown, never skipped.
 */
import type { KeyObject } from 'node:crypto';
import { TileCache, TileChangedError } from '../merkle/tile-cache.js';
import type { SubtreeHashes } from '../merkle/merkle-proofs.js';
import type { IntegrityStore, LogId, StoredCheckpoint } from '../sequencing/integrity-store.js';
import { checkpointText } from './checkpoint-body.js';
import { checkCheckpoint, type CheckpointRefusalReason, type TreeHead } from './checkpoint-guard.js';
import { logOrigin } from './log-origin.js';
import { noteSigner, signNote, verifierKeyText, type NoteSigner } from './signed-note.js';

/** Which known head a refused checkpoint would contradict. */
export type CheckpointAnchor = 'stored' | 'signed-by-this-process' | 'published';

/** Why signing was refused: the guard's reasons, or stored tile hashes that changed under the cache. */
export type SigningRefusalReason = CheckpointRefusalReason | 'tiles-changed';

/**
 * Raised (after onRefusal was told) when signing would contradict a known checkpoint: a fork or
 * truncation of the log, i.e. tampering or a broken store. Worth an alarm, never a retry loop.
 */
export class CheckpointRefusedError extends Error {
  override readonly name = 'CheckpointRefusedError';

  constructor(
    readonly log: LogId,
    readonly origin: string,
    readonly reason: SigningRefusalReason,
    readonly anchor: CheckpointAnchor,
    message: string,
  ) {
    super(
      `refused to sign a checkpoint of ${origin} (${reason}, against the ${anchor} checkpoint): ${message}`,
    );
  }
}

/** A log's latest checkpoint, as signCheckpoint answers. */
export interface SignedCheckpoint extends StoredCheckpoint {
  /** The log's origin: the note's first line and its key name. */
  origin: string;
  /** True when this call signed and stored it; false when it was already the latest stored. */
  created: boolean;
}

/** Options of a CheckpointSigner. */
export interface CheckpointSignerOptions {
  store: IntegrityStore;
  /** The Ed25519 signing key (signing-key.ts). */
  privateKey: KeyObject;
  /** INTEGRITY_ORIGIN: origins are `<prefix>/<tenant>/<kind>` (log-origin.ts). */
  originPrefix: string;
  /** Where tiles are read through; share the process's cache. Default: a cache of its own. */
  tiles?: TileCache;
  /** Epoch milliseconds, for signedAt. Default Date.now. */
  now?: () => number;
  /**
   * The newest checkpoint of `origin` published outside the database (publishedHead of
   * checkpoint-publisher.ts bound to CHECKPOINT_DIR), or undefined; omitted: no such anchor.
   */
  publishedHead?: (origin: string) => Promise<TreeHead | undefined>;
  /** Told of every refusal before it is thrown: raise the alarm here (metric, error log). */
  onRefusal?: (refusal: CheckpointRefusedError) => void;
  /**
   * The minimum index of a log: its first leaf whose record may still be stored (0 when nothing
   * was pruned); every checkpoint states it. Absent: 0.
   */
  minimumIndex?: (log: LogId) => Promise<number>;
  /** Times a lost store CAS is re-read and re-checked before giving up; default 5. */
  maxAttempts?: number;
}

/** A process's checkpoint signer for every log of one store. Concurrent calls per log run one at a time. */
export class CheckpointSigner {
  private readonly tiles: TileCache;
  private readonly now: () => number;
  private readonly signers = new Map<string, NoteSigner>();
  /** Per log, the largest head this process signed or answered with. */
  private readonly known = new Map<string, TreeHead>();
  /** Per log, the tail of the queue of calls (settled, never rejected). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly options: CheckpointSignerOptions) {
    this.tiles = options.tiles ?? new TileCache();
    this.now = options.now ?? Date.now;
  }

  /** The origin of `log` under the configured prefix. Throws on a kind or tenant with no origin. */
  origin(log: LogId): string {
    return this.signer(log).name;
  }

  /** What GET …/key answers: the log's origin and the verifier key text of its checkpoints. */
  verifierKey(log: LogId): { origin: string; verifierKey: string } {
    const signer = this.signer(log);
    return { origin: signer.name, verifierKey: verifierKeyText(signer) };
  }

  /**
   * Signs and stores a checkpoint of `log`'s current tree if it grew since the latest stored one,
   * else answers that latest (created: false, no new signature). Nothing stored yet and an empty
   * tree: signs the empty tree (size 0). On a lost CAS (another signer stored first) re-reads and
   * re-checks, up to maxAttempts times, then throws. Throws CheckpointRefusedError when the tree
   * contradicts a known checkpoint (shrunk, forked, tiles changed), and what the store throws
   * (including a RangeError when the tiles are short of the tree size).
   */
  signCheckpoint(log: LogId): Promise<SignedCheckpoint> {
    const key = logKey(log);
    const prior = this.queues.get(key) ?? Promise.resolve();
    const result = prior.then(() => this.signInTurn(log, key));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return result;
  }

  private async signInTurn(log: LogId, key: string): Promise<SignedCheckpoint> {
    const { store } = this.options;
    const signer = this.signer(log);
    const origin = signer.name;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const [state, latest] = await Promise.all([store.logState(log), store.latestCheckpoint(log)]);
      const candidate: TreeHead = { size: state.treeSize, root: state.root };
      const tree = this.tiles.log(key, (addresses) => store.readTiles(log, addresses));
      await this.check(log, origin, 'stored', latest, candidate, tree);
      await this.check(log, origin, 'signed-by-this-process', this.known.get(key), candidate, tree);
      const published = await this.options.publishedHead?.(origin);
      await this.check(log, origin, 'published', published, candidate, tree);
      if (latest !== undefined && latest.size === candidate.size) {
        this.remember(key, latest);
        return { ...latest, origin, created: false };
      }
      const minimumIndex = Math.min(candidate.size, (await this.options.minimumIndex?.(log)) ?? 0);
      const note = signNote(checkpointText({ origin, ...candidate, minimumIndex }), signer);
      const checkpoint: StoredCheckpoint = { ...candidate, note, signedAt: this.now() };
      if (await store.storeCheckpoint(log, checkpoint, latest?.size)) {
        this.remember(key, checkpoint);
        return { ...checkpoint, origin, created: true };
      }
      // Another signer stored first: what it stored is checked like any latest on the next turn.
      if (attempt >= maxAttempts) {
        throw new Error(`lost the race to store a checkpoint of ${origin} ${attempt} times in a row`);
      }
    }
  }

  /** Throws (after onRefusal) unless `candidate` may follow `anchor`. */
  private async check(
    log: LogId,
    origin: string,
    anchor: CheckpointAnchor,
    head: TreeHead | undefined,
    candidate: TreeHead,
    tree: SubtreeHashes,
  ): Promise<void> {
    if (head === undefined && anchor !== 'stored') return;
    let refusal: CheckpointRefusedError | undefined;
    try {
      const verdict = await checkCheckpoint(head, candidate, tree);
      if (!verdict.accepted) {
        refusal = new CheckpointRefusedError(log, origin, verdict.reason, anchor, verdict.message);
      }
    } catch (error) {
      if (!(error instanceof TileChangedError)) throw error;
      refusal = new CheckpointRefusedError(log, origin, 'tiles-changed', anchor, error.message);
    }
    if (refusal === undefined) return;
    try {
      this.options.onRefusal?.(refusal);
    } catch {
      // The alarm hook failing must not turn a refusal into something quieter: it is thrown below.
    }
    throw refusal;
  }

  private remember(key: string, head: TreeHead): void {
    const known = this.known.get(key);
    if (known === undefined || head.size > known.size) {
      this.known.set(key, { size: head.size, root: Buffer.from(head.root) });
    }
  }

  private signer(log: LogId): NoteSigner {
    const key = logKey(log);
    let signer = this.signers.get(key);
    if (signer === undefined) {
      signer = noteSigner(logOrigin(this.options.originPrefix, log), this.options.privateKey);
      this.signers.set(key, signer);
    }
    return signer;
  }
}

/** A log's key in this process's maps and in the tile cache. */
function logKey(log: LogId): string {
  return JSON.stringify([log.tenantId, log.kind]);
}
