/**
 * The console's streams view in real Chromium against a real server: a tenant's streams with their
 * states (a webhook to a receiver that is down retries, one created paused is paused), where each
 * delivers and never a secret, Pause (confirmed) and Resume through the API; a platform admin's
 * tenant column and the empty state; accessibility (axe-core) and the README's screenshot.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  openPage,
  OTHER_TENANT,
  signInWithToken,
  startConsoleFixture,
  TENANT,
  type ConsoleFixture,
  type PageWatch,
} from './console-fixture.js';

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');

/** Every secret the streams were given: none may reach the page. */
const SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const HEADER_TOKEN = randomBytes(18).toString('hex');
const URL_TOKEN = randomBytes(18).toString('hex');
const SECRETS = [SIGNING_SECRET, SIGNING_SECRET.slice('whsec_'.length), HEADER_TOKEN, URL_TOKEN];

/**
 * A port nothing listens on: one the system handed out, closed again. (Not 9, discard: fetch
 * refuses it as another protocol's, and a stream refused so pauses itself instead of retrying.)
 */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error === undefined) resolve();
      else reject(error);
    });
  });
  return port;
}

interface ApiStream {
  name: string;
  state: string;
  events_delivered: number;
  last_success_at: string | null;
  paused_reason: string | null;
  last_error: { message: string } | null;
}

describe('the console streams view', () => {
  let fixture: ConsoleFixture;
  let watch: PageWatch;
  let page: Page;
  /** The receivers' port, where nothing answers: each delivery fails, so the webhook stream retries. */
  let downPort: number;
  /** A receiver that is up, verifying with SIGNING_SECRET: its stream delivers, so it is active. */
  let receiver: WebhookReceiver;

  /** GET /v1/streams/{name} of TENANT, as its admin. */
  async function apiStream(name: string): Promise<ApiStream> {
    const response = await fixture.api.request('GET', `/v1/streams/${name}`, { token: fixture.tenantAdmin });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.stream as ApiStream;
  }

  /** The state a row shows, once the table has loaded. */
  async function rowState(name: string): Promise<string | null> {
    await page.locator('[data-testid="streams-table"][data-state="ready"]').waitFor();
    return page.locator(`[data-testid="stream-row"][data-name="${name}"]`).getAttribute('data-state');
  }

  /** Opens the streams view at `query`, as a shared link would. */
  async function open(query = ''): Promise<void> {
    await page.goto(`${fixture.api.url}/console/streams${query}`);
    await page.locator('[data-testid="streams-table"][data-state="ready"]').waitFor();
  }

  before(async () => {
    fixture = await startConsoleFixture();
    downPort = await closedPort();
    receiver = await WebhookReceiver.start(SIGNING_SECRET);
    const put = async (name: string, body: Record<string, unknown>) => {
      const response = await fixture.api.request('PUT', `/v1/streams/${name}`, {
        token: fixture.tenantAdmin,
        body,
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    };
    // From the beginning: the seeded logs are there to deliver, so the first delivery fails at once.
    await put('siem-down', {
      destination: {
        type: 'webhook',
        url: `http://127.0.0.1:${downPort}/x?key=${URL_TOKEN}`,
        secrets: [SIGNING_SECRET],
        headers: { authorization: `Bearer ${HEADER_TOKEN}` },
      },
      kinds: ['communication-log', 'operate-log'],
      start: 'beginning',
    });
    await put('archive', {
      destination: { type: 'syslog', host: '127.0.0.1', port: downPort, transport: 'tcp' },
      kinds: ['access-log'],
      paused: true,
    });
    // The 15 MFA config audit logs seeded, delivered to the receiver that is up.
    await put('siem', {
      destination: { type: 'webhook', url: receiver.url, secrets: [SIGNING_SECRET] },
      kinds: ['mfa-config-audit-log'],
      start: 'beginning',
    });
    await receiver.waitForEvents(15);
    await waitFor('siem to count its deliveries', async () => {
      const siem = await apiStream('siem');
      return siem.state === 'active' && siem.events_delivered === 15 && siem.last_success_at !== null;
    });
    await waitFor('siem-down to retry', async () => (await apiStream('siem-down')).state === 'retrying');
    watch = await openPage(fixture);
    page = watch.page;
    await signInWithToken(fixture, page, fixture.tenantAdmin);
  });
  after(async () => {
    await fixture.close();
    await receiver.close();
  });

  test('the menu opens the view; both streams show with their states, destinations and no secret', async () => {
    await page.getByRole('menuitem', { name: 'Streams' }).click();
    await page.getByTestId('view-streams').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/streams');
    assert.equal(await rowState('siem-down'), 'retrying');
    assert.equal(await rowState('archive'), 'paused');
    assert.equal(await rowState('siem'), 'active');
    const states = await page.getByTestId('stream-state').allTextContents();
    assert.deepEqual(states.sort(), ['active', 'paused', 'retrying']);
    // What siem delivered, and when it last succeeded: in the viewer's zone, UTC on hover.
    const siem = page.locator('[data-testid="stream-row"][data-name="siem"]');
    assert.match(
      (await siem.getByTestId('stream-delivered').textContent()) ?? '',
      /^15 events\d+(\.\d)? KiB$/,
    );
    const lastSuccess = (await apiStream('siem')).last_success_at ?? '';
    assert.equal(await siem.locator('time').getAttribute('datetime'), new Date(lastSuccess).toISOString());
    assert.match((await siem.locator('time').getAttribute('title')) ?? '', / UTC$/);

    const destinationOf = async (name: string) =>
      (await page
        .locator(`[data-testid="stream-row"][data-name="${name}"] [data-testid="stream-destination"]`)
        .textContent()) ?? '';
    const webhook = await destinationOf('siem-down');
    assert.ok(
      webhook.startsWith(`webhookhttp://127.0.0.1:${downPort}/x?…`),
      `the URL without its query: ${webhook}`,
    );
    const syslog = await destinationOf('archive');
    assert.ok(syslog.startsWith(`syslog127.0.0.1:${downPort} (tcp)`), syslog);
    // A tenant admin's own streams: no tenant column.
    assert.equal(await page.getByRole('columnheader', { name: 'Tenant' }).count(), 0);

    // The row expands to the last error and the pause's reason.
    const retrying = page.locator('[data-testid="stream-row"][data-name="siem-down"]');
    await retrying.getByRole('button', { name: /expand/i }).click();
    const error = page.getByTestId('stream-last-error');
    await error.waitFor();
    const apiError = (await apiStream('siem-down')).last_error?.message ?? '';
    assert.ok(apiError !== '', 'the API has a last error');
    assert.ok((await error.textContent())?.includes(apiError.slice(0, 40)), 'the row shows it');

    const html = await page.content();
    for (const secret of SECRETS) assert.ok(!html.includes(secret), 'no secret anywhere in the page');
    assert.ok(!html.includes('[hidden]'), 'not even the placeholder of one');
  });

  test('Resume on the paused stream resumes it in the API, and its row follows', async () => {
    await open();
    await page.getByRole('button', { name: 'Resume stream archive' }).click();
    await waitFor(
      'archive not paused in the API',
      async () => (await apiStream('archive')).state !== 'paused',
    );
    await waitFor('the row to say so', async () => (await rowState('archive')) !== 'paused');
    assert.equal((await apiStream('archive')).paused_reason, null);
    await page.getByText('Stream archive resumed').waitFor();
    // Resumed, the row offers Pause again.
    await page.getByRole('button', { name: 'Pause stream archive' }).waitFor();
  });

  test('Pause asks first; confirmed, the API says paused by an admin', async () => {
    await open();
    await page.getByRole('button', { name: 'Pause stream siem-down' }).click();
    const confirm = page.locator('.ant-popconfirm');
    await confirm.getByText('Pause stream siem-down?').waitFor();
    assert.notEqual((await apiStream('siem-down')).state, 'paused', 'nothing happens before confirming');
    await confirm.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitFor(
      'siem-down paused in the API',
      async () => (await apiStream('siem-down')).state === 'paused',
    );
    await waitFor('the row to say so', async () => (await rowState('siem-down')) === 'paused');
    assert.equal((await apiStream('siem-down')).paused_reason, 'paused by an admin');
    // Back as it was for the screenshot: retrying again once resumed (the receiver is still down).
    await page.getByRole('button', { name: 'Resume stream siem-down' }).click();
    await waitFor(
      'siem-down retrying again',
      async () => (await apiStream('siem-down')).state === 'retrying',
    );
  });

  test('a platform admin sees every tenant’s streams with the tenant, and another tenant’s none', async () => {
    const platform = await openPage(fixture);
    try {
      await signInWithToken(fixture, platform.page, fixture.platformAdmin);
      await platform.page.goto(`${fixture.api.url}/console/streams`);
      await platform.page.locator('[data-testid="streams-table"][data-state="ready"]').waitFor();
      await platform.page.getByRole('columnheader', { name: 'Tenant' }).waitFor();
      const rows = platform.page.locator('[data-testid="stream-row"]');
      assert.equal(await rows.count(), 3);
      for (const text of await rows.allTextContents()) assert.ok(text.includes(TENANT), text);

      await platform.page.goto(`${fixture.api.url}/console/streams?tenant_id=${OTHER_TENANT}`);
      await platform.page.getByTestId('streams-empty').waitFor();
      assert.match(
        (await platform.page.getByTestId('streams-empty').textContent()) ?? '',
        /PUT \/v1\/streams\/\{name\}/,
      );
      assert.deepEqual(platform.errors, []);
    } finally {
      await platform.context.close();
    }
  });

  test('the view is in Chinese when chosen, has no serious axe violations, and is photographed', async () => {
    await page.evaluate("localStorage.setItem('sealog.console.language', 'zh-CN')");
    await open();
    await page.getByRole('heading', { name: '日志流' }).waitFor();
    assert.ok((await page.getByTestId('stream-state').allTextContents()).includes('重试中'));
    await page.evaluate("localStorage.removeItem('sealog.console.language')");

    // One stream in each state for the screenshot.
    const paused = await fixture.api.request('POST', '/v1/streams/archive/pause', {
      token: fixture.tenantAdmin,
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    await open();
    await waitFor('a row in each state', async () => {
      const states = await Promise.all(['siem', 'siem-down', 'archive'].map(rowState));
      return states.join() === 'active,retrying,paused';
    });
    await page.evaluate(axe.source);
    const serious = await page.evaluate<string[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))",
    );
    assert.deepEqual(serious, []);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, 'streams.png');
    await page.screenshot({ path, type: 'png' });
    assert.ok(statSync(path).size < 150_000, `${path} is small (${statSync(path).size} bytes)`);
    assert.deepEqual(watch.errors, [], 'no script error or CSP refusal');
  });
});
