import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium: the browser every console test drives (.ci/run installs it when missing). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium with nothing reaching out of the machine (no component updates, no
 * sync, no background networking), so a test sees only the console's own requests.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * How long a browser wait may take before the test fails, in ms: a guard against a hang, never an
 * expectation (Playwright's own default of 30 s is too short for a loaded 2-core CI machine).
 */
export const BROWSER_WAIT_LIMIT_MS = 120_000;
