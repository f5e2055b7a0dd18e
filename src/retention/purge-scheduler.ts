import type { PurgeRun } from './purger.js';

/** Wait before the first scheduled run after start, at most: a server that restarts often still purges. */
const FIRST_RUN_MAX_DELAY_MS = 60_000;

/**
 * Runs a purge every `intervalMs` (PURGE_INTERVAL), one at a time, the first within a minute of
 * start. A run that fails is reported and the schedule goes on; a run that finds another process
 * purging simply does nothing.
 */
export class PurgeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    /** One run, to stop between two batches when `signal` aborts. */
    private readonly run: (signal: AbortSignal) => Promise<PurgeRun>,
    private readonly intervalMs: number,
    private readonly onRun: (run: PurgeRun) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts the schedule (nothing when the interval is 0: purges only on demand). */
  start(): void {
    if (this.intervalMs <= 0) return;
    this.schedule(Math.min(this.intervalMs, FIRST_RUN_MAX_DELAY_MS));
  }

  /** Stops the schedule; resolves once a run under way has finished its batch and stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run(this.stopping.signal)
        .then(this.onRun, this.onError)
        .finally(() => {
          this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
