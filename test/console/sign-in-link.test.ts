/**
 * The sign-in link in real Chromium, against a fixture build of the console (not the real front
 * end): the page's own script (an asset file: the CSP allows no inline script) reads the link from
 * the URL's fragment, signs in and sees its session; the cookie stays out of reach of scripts, the
 * fixture's inline script is blocked by the CSP, and signing out from the page clears the session.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { BROWSER_WAIT_LIMIT_MS, launchBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli-process.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

const INDEX = `<!doctype html>
<html>
  <head>
    <meta name="csp-nonce" content="%CSP_NONCE%" />
    <title>fixture</title>
    <script>window.inlineRan = true;</script>
    <script type="module" src="/console/assets/sign-in-3b1f.js"></script>
  </head>
  <body><pre id="out">pending</pre></body>
</html>
`;

/** Signs in with the fragment's link, then reports what it saw into #out as JSON. */
const SCRIPT = `
const link = new URLSearchParams(location.hash.slice(1)).get('link');
const json = { 'content-type': 'application/json' };
const signIn = await fetch('/v1/console/sessions', { method: 'POST', headers: json, body: JSON.stringify({ link }) });
const session = await fetch('/v1/console/session');
const body = await session.json();
const tenants = await fetch('/v1/console/tenants');
const cookieSeen = document.cookie;
document.getElementById('out').textContent = JSON.stringify({
  signIn: signIn.status,
  session: session.status,
  sub: body.data && body.data.sub,
  tenants: tenants.status,
  cookieSeen,
  inlineRan: window.inlineRan === true,
});
`;

describe('sign-in link in Chromium (fixture page)', () => {
  let api: TestServer;
  let root: string;
  let browser: Browser;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sealog-console-fixture-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'sign-in-3b1f.js'), SCRIPT);
    api = await startTestServer({}, { consoleRoot: root });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await api.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('the printed link signs the browser in; the cookie is HttpOnly; inline script is blocked', async () => {
    const minted = await runCli(
      ['console-link', '--sub', 'usr_browser', '--tenant', 'tnt_a', '--role', 'admin', '--base-url', api.url],
      { DATABASE_URL: api.databaseUrl, JWT_SECRET: TEST_SECRET },
    );
    assert.equal(minted.code, 0, minted.stderr);
    const page = await browser.newPage();
    page.setDefaultTimeout(BROWSER_WAIT_LIMIT_MS);
    page.setDefaultNavigationTimeout(BROWSER_WAIT_LIMIT_MS);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/.test(message.text())) violations.push(message.text());
    });
    await page.goto(minted.stdout.trim());
    const out = page.locator('#out');
    await out.filter({ hasText: 'signIn' }).waitFor();
    const seen = JSON.parse((await out.textContent()) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(seen, {
      signIn: 200,
      session: 200,
      sub: 'usr_browser',
      tenants: 200,
      cookieSeen: '',
      inlineRan: false,
    });
    assert.ok(
      violations.some((text) => /inline script/i.test(text)),
      `the CSP refused the inline script: ${violations.join('\n')}`,
    );
    const [cookie, ...others] = await page.context().cookies();
    assert.deepEqual(others, []);
    assert.equal(cookie?.name, 'sealog_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.ok(cookie.expires > Date.now() / 1000, 'a persistent cookie with an expiry');

    // A DELETE from the page carries the browser's own Origin, which passes the check.
    const status = (method: string) =>
      page.evaluate(async (m) => (await fetch('/v1/console/session', { method: m })).status, method);
    assert.equal(await status('DELETE'), 200);
    assert.equal(await status('GET'), 401);
    assert.deepEqual(await page.context().cookies(), [], 'signing out cleared the cookie');
    await page.close();
  });
});
