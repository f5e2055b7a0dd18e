import type { CommitSubscriber, SubscribeOptions } from '../../domain/after-commit.js';

/** How often the loop looks for leaves to hash when no commit woke it (transitions, other processes), in ms. */
export const DEFAULT_SEQUENCER_INTERVAL_MS = 200;

/**
 * Runs `step` (hash what is pending) one at a time: when a commit wakes it, and every `intervalMs`
 * anyway (status transitions and other processes' writes wake nobody here). A wake during a step
 * runs one more step after it; a failing step is reported and retried at the next tick, so a
 * sequencing error never fails a write (the leaves stay numbered, and wait).
 */
export class SequencerLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly step: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = DEFAULT_SEQUENCER_INTERVAL_MS,
  ) {}

  /** Starts the ticks (and a first step at once). */
  start(): void {
    this.wake();
    this.timer = setInterval(() => {
      this.wake();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Runs a step now, or right after the running one. */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.run();
  }

  /** Resolves once the step running now (if any) and the one it owes have finished. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Stops the ticks and waits for the running step. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
  }

  /** The loop on a store's after-commit seam: each commit wakes it; it reads rows from the store. */
  subscriber(): { subscriber: CommitSubscriber; options: SubscribeOptions } {
    const wake = () => {
      this.wake();
      return Promise.resolve();
    };
    return {
      subscriber: { name: 'integrity-sequencer', appended: wake, catchUp: wake },
      options: { capacityRows: 100_000, overflow: 'catch-up', rows: false },
    };
  }

  /** A wake came during the step that just ended, and the loop still runs. */
  private owesStep(): boolean {
    return this.again && !this.stopped;
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.step();
        } catch (error) {
          this.onError(error);
          this.again = false;
        }
      } while (this.owesStep());
    } finally {
      this.running = undefined;
    }
  }
}
