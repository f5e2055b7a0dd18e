/**
 * Publishes stored checkpoints outside the database (docs/design §6), where someone who can write
 * to the database cannot rewrite them: files in CHECKPOINT_DIR, never overwritten, and POSTs to
 * CHECKPOINT_URL, retried with back-off until answered 2xx. The stored checkpoints are the outbox
 * (CheckpointOutbox), so what is not yet published survives a restart. A note is published only
 * once it opens with the log's verifier key: a row forged in the database is never copied out.
 */
import { join } from 'node:path';
import type { LogId } from '../sequencing/integrity-store.js';
import { parseCheckpointText } from './checkpoint-body.js';
import {
  checkpointPath,
  logDirectory,
  makeDirectory,
  VERIFIER_KEY_FILE,
  writeFileOnce,
} from './checkpoint-directory.js';
import type { CheckpointOutbox, OutboxEntry, PublishTarget } from './checkpoint-outbox.js';
import { backoffMs, postNote, receiverOf, type CheckpointReceiver } from './checkpoint-receiver.js';
import { openNote, parseVerifierKey } from './signed-note.js';

/** Why a checkpoint was not published: each is tampering or a broken deployment, worth an alarm. */
export type PublishAlarmReason =
  /** CHECKPOINT_DIR already holds other bytes for that log and size: two notes for one size. */
  | 'fork'
  /** The log directory's key.vkey is another key: the signing key changed. */
  | 'key-changed'
  /** The stored note does not open with the log's verifier key, or states another origin or size. */
  | 'bad-note';

/** A checkpoint refused publication (told to onAlarm; it stays in the outbox and is re-checked each pass). */
export class CheckpointPublishAlarm extends Error {
  override readonly name = 'CheckpointPublishAlarm';
  readonly log: LogId;

  constructor(
    log: LogId,
    readonly size: number,
    readonly target: PublishTarget,
    readonly reason: PublishAlarmReason,
    message: string,
  ) {
    super(message);
    this.log = { tenantId: log.tenantId, kind: log.kind };
  }
}

/** What sending one entry came to: mark it published, leave it (refused, alarm raised), or end the pass. */
type SendResult = 'published' | 'refused' | 'stop';

/** Cancels a scheduled callback. */
export type CancelTimer = () => void;

/** Options of a CheckpointPublisher. At least one of directory and url makes it do something. */
export interface CheckpointPublisherOptions {
  outbox: CheckpointOutbox;
  /** The verifier key text of `log`'s checkpoints (CheckpointSigner.verifierKey). */
  verifierKey: (log: LogId) => string;
  /** CHECKPOINT_DIR. */
  directory?: string;
  /**
   * CHECKPOINT_URL (http or https); never put in messages. Credentials in it (`https://user:pass@…`),
   * which fetch refuses in a URL, are sent as HTTP Basic authorization instead.
   */
  url?: string;
  /** Told of every refused checkpoint (fork, key changed, bad note), each pass: raise the alarm. */
  onAlarm: (alarm: CheckpointPublishAlarm) => void;
  /** Told of transient failures (POST refused or unreachable, file system, outbox errors). */
  onError: (error: Error) => void;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** Uniform in [0, 1), for the back-off's jitter; default Math.random. */
  random?: () => number;
  /** Runs `callback` after `delayMs` ms (the retry timer); default an unref'd setTimeout. */
  schedule?: (callback: () => void, delayMs: number) => CancelTimer;
  /** How long a POST may take, in ms; default 10,000. */
  timeoutMs?: number;
  /** Outbox entries read at once; default 100. */
  batchSize?: number;
}

/**
 * Copies stored checkpoints to CHECKPOINT_DIR and CHECKPOINT_URL. publish() runs a pass; calls
 * during a pass make it run once more. A failed POST stops the URL's pass (checkpoints are POSTed
 * in the order they were stored) and arms a timer for its retry.
 */
export class CheckpointPublisher {
  private running: Promise<void> | undefined;
  /** publish() calls so far: one arriving during a pass makes it run again. */
  private requests = 0;
  private stopped = false;
  private readonly stopping = new AbortController();
  private retry: { at: number; cancel: CancelTimer } | undefined;
  private readonly now: () => number;
  private readonly receiver: CheckpointReceiver | undefined;

  /** Throws on a url that is not an absolute http(s) URL. */
  constructor(private readonly options: CheckpointPublisherOptions) {
    this.now = options.now ?? Date.now;
    this.receiver = options.url === undefined ? undefined : receiverOf(options.url);
  }

  /** Publishes what the outbox holds to each configured target. Never rejects: failures go to onError/onAlarm. */
  publish(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.requests++;
    if (this.running !== undefined) return this.running;
    const running = this.passes().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** Cancels the retry timer and an in-flight POST, and waits for the pass to end. Later publish() calls do nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    this.retry = undefined;
    this.stopping.abort();
    await this.running;
  }

  private async passes(): Promise<void> {
    let served: number;
    do {
      served = this.requests;
      const { directory } = this.options;
      const { receiver } = this;
      await Promise.all([
        directory === undefined
          ? undefined
          : this.guard(this.drain('dir', (entry, vkey) => this.toDirectory(directory, entry, vkey))),
        receiver === undefined
          ? undefined
          : this.guard(this.drain('url', (entry) => this.toUrl(receiver, entry))),
      ]);
    } while (this.requests !== served && !this.stopped);
  }

  /**
   * Publishes `target`'s outbox in order, batch by batch, until it is empty, a batch makes no
   * progress (every entry refused), or `send` answers 'stop' (a failed POST: retry later).
   */
  private async drain(
    target: PublishTarget,
    send: (entry: OutboxEntry, verifierKey: string) => Promise<SendResult>,
  ): Promise<void> {
    const { outbox, batchSize = 100 } = this.options;
    for (;;) {
      const batch = await outbox.unpublished(target, batchSize);
      let progress = 0;
      for (const entry of batch) {
        if (this.stopped) return;
        const verifierKey = this.options.verifierKey(entry);
        const refusal = checkNote(entry, verifierKey, target);
        if (refusal !== undefined) {
          this.options.onAlarm(refusal);
          continue;
        }
        const result = await send(entry, verifierKey);
        if (result === 'stop') return;
        if (result === 'refused') continue;
        await outbox.markPublished(entry, entry.size, target);
        progress++;
      }
      if (batch.length < batchSize || progress === 0) return;
    }
  }

  private async toDirectory(directory: string, entry: OutboxEntry, verifierKey: string): Promise<SendResult> {
    const origin = parseVerifierKey(verifierKey).name;
    const folder = logDirectory(directory, origin);
    await makeDirectory(folder);
    const alarm = (reason: PublishAlarmReason, message: string) =>
      new CheckpointPublishAlarm(entry, entry.size, 'dir', reason, message);
    const keyFile = join(folder, VERIFIER_KEY_FILE);
    if ((await writeFileOnce(keyFile, `${verifierKey}\n`)) === 'conflict') {
      this.options.onAlarm(
        alarm('key-changed', `${keyFile} holds another verifier key than the one signing ${origin}`),
      );
      return 'refused';
    }
    const file = checkpointPath(directory, origin, entry.size);
    if ((await writeFileOnce(file, entry.note)) === 'conflict') {
      this.options.onAlarm(
        alarm('fork', `${file} holds another checkpoint of ${origin} at size ${entry.size}: a fork`),
      );
      return 'refused';
    }
    return 'published';
  }

  private async toUrl(receiver: CheckpointReceiver, entry: OutboxEntry): Promise<SendResult> {
    if (entry.nextAttemptAt !== undefined && entry.nextAttemptAt > this.now()) {
      this.retryAt(entry.nextAttemptAt);
      return 'stop';
    }
    const { timeoutMs = 10_000 } = this.options;
    const failure = await postNote(receiver, entry.note, timeoutMs, this.stopping.signal);
    if (failure === undefined) return 'published';
    // A POST cut short by stop() is no failure: the next process sends it again.
    if (this.stopped) return 'stop';
    const attempts = entry.attempts + 1;
    const next = this.now() + backoffMs(attempts, this.options.random);
    await this.options.outbox.recordFailure(entry, entry.size, next);
    this.options.onError(
      new Error(
        `CHECKPOINT_URL ${failure} to the checkpoint of size ${entry.size} (attempt ${attempts}; retrying in ${next - this.now()} ms)`,
      ),
    );
    this.retryAt(next);
    return 'stop';
  }

  /** Arms the retry timer for `at` (epoch ms) unless it fires sooner already. */
  private retryAt(at: number): void {
    if (this.stopped || (this.retry !== undefined && this.retry.at <= at)) return;
    this.retry?.cancel();
    const schedule = this.options.schedule ?? unrefTimeout;
    const cancel = schedule(
      () => {
        this.retry = undefined;
        void this.publish();
      },
      Math.max(0, at - this.now()),
    );
    this.retry = { at, cancel };
  }

  private async guard(pass: Promise<void>): Promise<void> {
    try {
      await pass;
    } catch (error) {
      this.options.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** The alarm of a stored note that must not be published, or undefined when it may be. */
function checkNote(
  entry: OutboxEntry,
  verifierKey: string,
  target: PublishTarget,
): CheckpointPublishAlarm | undefined {
  try {
    const verifier = parseVerifierKey(verifierKey);
    const stated = parseCheckpointText(openNote(entry.note, verifier));
    if (stated.origin === verifier.name && stated.size === entry.size && stated.root.equals(entry.root))
      return undefined;
    throw new Error(`it states ${stated.origin} at ${stated.size}`);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return new CheckpointPublishAlarm(
      entry,
      entry.size,
      target,
      'bad-note',
      `the stored checkpoint of size ${entry.size} of tenant ${JSON.stringify(entry.tenantId)}, ${entry.kind} is not published: ${why}`,
    );
  }
}

function unrefTimeout(callback: () => void, delayMs: number): CancelTimer {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}
