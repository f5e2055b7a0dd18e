/**
 * Signing in to the console in real Chromium: by the one-time link `sealog console-link` prints and
 * by pasting a token; signing out; a 401 sends the browser back to sign-in; a tenant admin editing
 * the URL to another tenant sees nothing of it; a platform admin switches tenants.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  OTHER_TENANT,
  openPage,
  rowIds,
  signInWithToken,
  startConsoleFixture,
  TENANT,
  type ConsoleFixture,
} from './console-fixture.js';

/** The link `sealog console-link` prints for `sub`, an admin of TENANT, to the fixture's server. */
async function printLink(fixture: ConsoleFixture, sub: string): Promise<string> {
  const printed = await runCli(
    ['console-link', '--sub', sub, '--tenant', TENANT, '--role', 'admin', '--base-url', fixture.api.url],
    { DATABASE_URL: fixture.api.databaseUrl },
  );
  assert.equal(printed.code, 0, printed.stderr);
  return printed.stdout.trim().split('\n').at(-1) ?? '';
}

describe('console sign-in', () => {
  let fixture: ConsoleFixture;

  before(async () => {
    fixture = await startConsoleFixture();
  });
  after(async () => {
    await fixture.close();
  });

  test('the one-time link signs the browser in once, and leaves no secret in the address bar', async () => {
    const link = await printLink(fixture, 'usr_linked');
    assert.match(link, /\/console\/sign-in#link=/);
    const { page, context } = await openPage(fixture);
    await page.goto(link);
    await page.getByTestId('view-communication-log').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the secret left the address bar');
    assert.ok((await page.locator('.console-user').textContent())?.includes('usr_linked'));
    const cookies = await context.cookies();
    assert.ok(
      cookies.some((cookie) => cookie.httpOnly && cookie.sameSite === 'Strict'),
      'an HttpOnly session cookie',
    );
    assert.ok((await rowIds(page)).length > 0);
    // Used: a second browser opening it is refused and offered the token form.
    const second = await openPage(fixture);
    await second.page.goto(link);
    await second.page.getByRole('alert').waitFor();
    assert.match((await second.page.getByRole('alert').textContent()) ?? '', /refused/);
    await second.page.getByTestId('token-input').waitFor();
    await second.context.close();
    await context.close();
  });

  test('a session check answered after the link signed in does not undo the sign-in', async () => {
    const link = await printLink(fixture, 'usr_raced');
    const { page, context } = await openPage(fixture);
    // The check the console sends on load (a 401: not signed in yet) is held back until the link
    // has signed the browser in and the view shows, as a slow server may deliver them.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    let answered = false;
    await page.route('**/v1/console/session', async (route) => {
      if (held || route.request().method() !== 'GET') return route.continue();
      held = true;
      await released;
      // As the server answered it when it was sent: no session yet. (Continuing it now would
      // send the cookie the browser has since been given.)
      await route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ code: 401, message: 'not signed in', timestamp: new Date().toISOString() }),
      });
    });
    page.on('requestfinished', (request) => {
      if (request.url().endsWith('/v1/console/session') && request.method() === 'GET') answered = true;
    });
    await page.goto(link);
    await page.getByTestId('view-communication-log').waitFor();
    assert.ok(held, 'the session check on load was held back');
    release();
    await waitFor('the late session check to be answered', () => answered);
    // Tasks run in order: once a task queued after the answer's has run, and the frame after it
    // was drawn, the console has handled the answer.
    await page.evaluate('new Promise((resolve) => setTimeout(() => requestAnimationFrame(resolve), 0))');
    assert.ok(await page.locator('.console-user').isVisible(), 'still signed in');
    assert.ok((await page.locator('.console-user').textContent())?.includes('usr_raced'));
    assert.ok((await rowIds(page)).length > 0);
    assert.equal(new URL(page.url()).pathname, '/console/communication-log');
    await context.close();
  });

  test('a pasted token signs in; sign-out ends the session server-side', async () => {
    const { page, context } = await openPage(fixture);
    await page.goto(`${fixture.api.url}/console/operate-log`);
    // Not signed in: the sign-in page.
    await page.getByTestId('token-input').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    await page.getByTestId('token-input').fill('not-a-token');
    await page.getByTestId('sign-in-button').click();
    await page.getByRole('alert').waitFor();
    await signInWithToken(fixture, page, fixture.tenantAdmin);
    const [cookie] = await context.cookies();
    assert.ok(cookie !== undefined);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('token-input').waitFor();
    // The old cookie no longer opens anything.
    const replay = await fetch(`${fixture.api.url}/v1/console/session`, {
      headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    assert.equal(replay.status, 401);
    await context.close();
  });

  test('a tenant admin editing the URL to another tenant sees nothing of it', async () => {
    const { page, context } = await openPage(fixture);
    await signInWithToken(fixture, page, fixture.tenantAdmin);
    await page.goto(`${fixture.api.url}/console/communication-log?tenant_id=${OTHER_TENANT}`);
    await page.getByTestId('load-error').waitFor();
    assert.equal(await page.locator('tr[data-row-key]').count(), 0);
    assert.ok(!(await page.content()).includes('other tenant secret'), 'no record of the other tenant');
    await context.close();
  });

  test('a platform admin switches tenants; the tenant is in the URL', async () => {
    const { page, context } = await openPage(fixture);
    await signInWithToken(fixture, page, fixture.platformAdmin);
    await page.getByTestId('tenant-switch').click();
    await page.locator(`.ant-select-item-option[title="${OTHER_TENANT}"]`).click();
    await waitFor(
      'tenant in the URL',
      () => new URL(page.url()).searchParams.get('tenant_id') === OTHER_TENANT,
    );
    await waitFor('the other tenant’s rows', async () => {
      const ids = await rowIds(page);
      return ids.length === 5 && ids.every((id) => id.startsWith('log_other_'));
    });
    await context.close();
  });
});
