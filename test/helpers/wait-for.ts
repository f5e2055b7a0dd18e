import { setTimeout as delay } from 'node:timers/promises';

/** Options of waitFor. */
export interface WaitOptions {
  /** Pause between two checks, in ms (default 25). */
  intervalMs?: number;
  /** Fails the wait after this many ms (default 120,000): a guard against a hang, never an expectation. */
  limitMs?: number;
}

/**
 * Resolves once `condition` holds, checking it every `intervalMs`. Tests wait for what they need
 * this way rather than for a clock; `limitMs` only turns a hang into a failure naming `what`.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  { intervalMs = 25, limitMs = 120_000 }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
