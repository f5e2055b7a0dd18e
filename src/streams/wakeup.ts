import { setTimeout as delay } from 'node:timers/promises';

/**
 * Wakes the deliverers waiting for new leaves: the after-commit seam calls wake() on each commit of
 * this process; commits of other processes (and PostgreSQL's numbering, which follows the commit)
 * are found by the deliverers' own polling, so a missed wake-up only costs one poll interval.
 */
export class Wakeup {
  private waiters = new Set<() => void>();

  /** Resolves every pending next(). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const resolve of waiters) resolve();
  }

  /** Resolves at the next wake(), after `maxMs`, or when `signal` aborts, whichever comes first. */
  async next(maxMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stop = new AbortController();
    let resolveWake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      resolveWake = resolve;
    });
    this.waiters.add(resolveWake);
    try {
      await Promise.race([
        woken,
        delay(maxMs, undefined, { signal: AbortSignal.any([signal, stop.signal]) }),
      ]);
    } catch {
      // Aborted: the caller looks at its signal.
    } finally {
      stop.abort();
      this.waiters.delete(resolveWake);
    }
  }

  /** Resolves after `ms` or when `signal` aborts; wake() does not end it (a back-off). */
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await delay(ms, undefined, { signal });
    } catch {
      // Aborted: the caller looks at its signal.
    }
  }
}
