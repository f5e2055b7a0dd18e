/**
 * Signs checkpoints on a timer (docs/design §6): every CHECKPOINT_INTERVAL, each log whose tree
 * moved since its latest checkpoint is signed, then the publisher copies what was stored out of
 * the database. Runs in the one process that signs (SQLite: the primary; PostgreSQL: the leader).
 * Nothing here throws into a timer: every failure goes to onError, one log's failure never stops
 * the others, and a refusal (fork, truncation) is reported on every run until someone looks.
 */
import type { IntegrityStore, LogId, LogStatus } from '../sequencing/integrity-store.js';
import type { CancelTimer, CheckpointPublisher } from './checkpoint-publisher.js';
import type { CheckpointSigner, SignedCheckpoint } from './checkpoint-signer.js';

/** The default CHECKPOINT_INTERVAL, in ms. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** Options of a CheckpointScheduler. */
export interface CheckpointSchedulerOptions {
  store: Pick<IntegrityStore, 'logStates' | 'latestCheckpoint'>;
  signer: Pick<CheckpointSigner, 'signCheckpoint'>;
  /** Publishes after each run and after an on-demand signature; stopped with the scheduler. */
  publisher?: Pick<CheckpointPublisher, 'publish' | 'stop'>;
  /** Pause between the end of a run and the start of the next, in ms (> 0); default 60,000. */
  intervalMs?: number;
  /** Told of every failure, with the log concerned when there is one. Must not throw. */
  onError: (error: Error, log?: LogId) => void;
  /** Told of every checkpoint a run or signNow stored (created: true), e.g. for metrics. */
  onSigned?: (checkpoint: SignedCheckpoint, log: LogId) => void;
  /** Runs `callback` after `delayMs` ms; default an unref'd setTimeout (never keeps the process alive). */
  schedule?: (callback: () => void, delayMs: number) => CancelTimer;
}

/** What one run did, in logs. */
export interface SchedulerRun {
  /** Logs whose new checkpoint this run stored. */
  signed: number;
  /** Logs the signer was asked about and that had nothing new (another process had signed). */
  unchanged: number;
  /** Logs whose signing failed or was refused (each told to onError). */
  failed: number;
}

/** The checkpoint timer of a process. start() it once; stop() it before closing the store. */
export class CheckpointScheduler {
  /** Per log, the size of its latest checkpoint as last seen: a log at that size is not asked about. */
  private readonly signedSizes = new Map<string, number>();
  private running: Promise<SchedulerRun> | undefined;
  private readonly background = new Set<Promise<void>>();
  private cancelTimer: CancelTimer | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly options: CheckpointSchedulerOptions) {
    const { intervalMs = DEFAULT_CHECKPOINT_INTERVAL_MS } = options;
    if (!(intervalMs > 0)) throw new RangeError(`not a checkpoint interval: ${intervalMs} ms`);
  }

  /** Arms the timer: the first run starts one interval from now. Does nothing when started or stopped. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.arm();
  }

  /**
   * Runs now: signs each log whose tree size differs from its latest checkpoint's (a shrink too,
   * so that the signer's refusal is raised rather than the log skipped), then publishes. Joins the
   * run in flight if there is one. Never rejects.
   */
  runNow(): Promise<SchedulerRun> {
    if (this.stopped) return Promise.resolve({ signed: 0, unchanged: 0, failed: 0 });
    if (this.running !== undefined) return this.running;
    const running = this.run().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /**
   * Signs `log` now (POST …/checkpoint): the new checkpoint, or the latest when the tree did not
   * grow (created: false). Publishing follows in the background. Rejects as the signer does
   * (CheckpointRefusedError included, after the signer's onRefusal), without calling onError.
   */
  async signNow(log: LogId): Promise<SignedCheckpoint> {
    const checkpoint = await this.options.signer.signCheckpoint(log);
    this.signedSizes.set(logKey(log), checkpoint.size);
    if (checkpoint.created) {
      this.options.onSigned?.(checkpoint, log);
      this.publishInBackground();
    }
    return checkpoint;
  }

  /** Disarms the timer, waits for the run and publications in flight, then stops the publisher. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
    await Promise.all(this.background);
    await this.options.publisher?.stop();
  }

  private arm(): void {
    if (this.stopped) return;
    const schedule = this.options.schedule ?? unrefTimeout;
    this.cancelTimer = schedule(() => {
      this.cancelTimer = undefined;
      void this.runNow().then(() => {
        this.arm();
      });
    }, this.options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
  }

  private async run(): Promise<SchedulerRun> {
    const { store, signer, onError } = this.options;
    const counts: SchedulerRun = { signed: 0, unchanged: 0, failed: 0 };
    let logs: LogStatus[];
    try {
      logs = await store.logStates();
    } catch (error) {
      onError(asError(error));
      return counts;
    }
    for (const state of logs) {
      if (this.stopped) break;
      const log = { tenantId: state.tenantId, kind: state.kind };
      const key = logKey(log);
      try {
        let signedSize = this.signedSizes.get(key);
        if (signedSize === undefined) {
          // Learnt once per log and process; afterwards from what the signer answers.
          signedSize = (await store.latestCheckpoint(log))?.size;
          if (signedSize !== undefined) this.signedSizes.set(key, signedSize);
        }
        // An empty tree with no checkpoint yet is left alone: it has nothing worth signing.
        if (state.treeSize === (signedSize ?? 0)) continue;
        const checkpoint = await signer.signCheckpoint(log);
        this.signedSizes.set(key, checkpoint.size);
        if (checkpoint.created) {
          counts.signed++;
          this.options.onSigned?.(checkpoint, log);
        } else counts.unchanged++;
      } catch (error) {
        counts.failed++;
        onError(asError(error), log);
      }
    }
    await this.publish();
    return counts;
  }

  private async publish(): Promise<void> {
    try {
      await this.options.publisher?.publish();
    } catch (error) {
      this.options.onError(asError(error));
    }
  }

  private publishInBackground(): void {
    if (this.options.publisher === undefined) return;
    const publishing = this.publish().finally(() => {
      this.background.delete(publishing);
    });
    this.background.add(publishing);
  }
}

function logKey(log: LogId): string {
  return JSON.stringify([log.tenantId, log.kind]);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function unrefTimeout(callback: () => void, delayMs: number): CancelTimer {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}
