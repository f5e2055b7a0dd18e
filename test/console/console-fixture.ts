/**
 * What the console's browser tests share: a real server with seeded logs in two tenants, a real
 * Chromium, sign-in through the console's own form, and reads of the table as a user sees it.
 * Every wait is for a condition (a locator, or waitFor polling), never for a clock.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BROWSER_WAIT_LIMIT_MS, launchBrowser } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

export const TENANT = 'tnt_acme';
export const OTHER_TENANT = 'tnt_other';
export const XSS = '<img src=x onerror=alert(1)>';
const CONSOLE_INDEX = join(import.meta.dirname, '..', '..', 'dist', 'console', 'index.html');

const MINUTE = 60_000;

/** The seeded records: newest first by their index, all within the last 5 days. */
export function seedTimes(now: number, count: number, stepMinutes: number): number[] {
  return Array.from({ length: count }, (_, i) => now - (i + 1) * stepMinutes * MINUTE);
}

export const COMMUNICATION_LOGS = 65;

/** Logs of every kind in TENANT (and a few in OTHER_TENANT), times relative to `now`. */
export async function seed(api: TestServer, now: number): Promise<void> {
  const channels = ['sms', 'email', 'push'] as const;
  const comm = seedTimes(now, COMMUNICATION_LOGS, 97).map((time, i) => ({
    id: `log_c${String(i).padStart(3, '0')}`,
    user_id: `usr_${['alice', 'bob', 'carol'][i % 3] ?? 'x'}`,
    channel: channels[i % 3],
    status: (['pending', 'sent', 'delivered', 'failed'] as const)[i % 4],
    recipient: i % 3 === 1 ? `user${i}@example.com` : `1380013${String(i).padStart(4, '0')}`,
    content: i === 4 ? XSS : `Your verification code is ${String(100000 + i * 7919).slice(0, 6)}`,
    provider: i % 2 === 0 ? 'aliyun' : 'twilio',
    template_id: `tpl_${i % 5}`,
    created_at: new Date(time).toISOString(),
  }));
  await api.ingest('communication-logs', TENANT, comm);
  await api.ingest(
    'communication-logs',
    OTHER_TENANT,
    seedTimes(now, 5, 60).map((time, i) => ({
      id: `log_other_${i}`,
      user_id: 'usr_mallory',
      channel: 'sms',
      recipient: '13900000000',
      content: `other tenant secret ${i}`,
      created_at: new Date(time).toISOString(),
    })),
  );
  const actions = ['mfa_totp.enabled', 'mfa_totp.disabled', 'mfa_policy.updated'];
  await api.ingest(
    'mfa-config-audit-logs',
    TENANT,
    seedTimes(now, 15, 300).map((time, i) => ({
      id: `mfa_${String(i).padStart(3, '0')}`,
      action: actions[i % 3],
      target_type: i % 3 === 2 ? 'mfa_policy' : 'mfa_totp',
      target_id: `mfa_target_${i}`,
      operator_id: i % 2 === 0 ? 'usr_alice' : 'usr_bob',
      module: 'data',
      message: `change number ${i}`,
      timestamp: new Date(time).toISOString(),
    })),
  );
  // English contents first (newest): the Chinese ones sit lower, out of the screenshots' first rows.
  const contents = [
    ...Array.from({ length: 12 }, (_, i) => `user opened the front door ${i}`),
    ...Array.from({ length: 4 }, (_, i) => `管理员登录了系统 ${i}`),
  ];
  await api.ingest(
    'operate-logs',
    TENANT,
    seedTimes(now, contents.length, 211).map((time, i) => ({
      id: `op_${String(i).padStart(3, '0')}`,
      record_time: time,
      uid: `u${i}`,
      username: i % 2 === 0 ? 'alice' : 'bob',
      user_id: i % 2 === 0 ? 'usr_alice' : 'usr_bob',
      role: 'admin',
      account: 'account@example.com',
      operate_type: i % 4 === 0 ? 'login' : 'door',
      operate_content: contents[i],
      operate_geo_info: 'Hangzhou',
      operate_ip_info: '192.0.2.7',
      client_id: 'app1',
      merchant_code: i % 3 === 0 ? 'acme' : 'tuya',
      ext: '{}',
      project_code: 'p1',
    })),
  );
}

/** A server with the console built and seeded, a browser, and tokens for its admins. */
export interface ConsoleFixture {
  api: TestServer;
  browser: Browser;
  /** Admin of TENANT. */
  tenantAdmin: string;
  /** Admin of every tenant. */
  platformAdmin: string;
  close(): Promise<void>;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  assert.ok(
    existsSync(CONSOLE_INDEX),
    `${CONSOLE_INDEX} is missing: run npm run build (npm test builds first)`,
  );
  // Checkpoints only when a test signs one (POST …/checkpoint): "pending" stays pending until then.
  const api = await startTestServer({ CHECKPOINT_INTERVAL: '86400' });
  await seed(api, Date.now());
  const browser = await launchBrowser();
  return {
    api,
    browser,
    tenantAdmin: await api.token({ sub: 'usr_admin', tenant_id: TENANT, roles: ['admin'], expiresIn: 7200 }),
    platformAdmin: await api.token({ sub: 'usr_root', roles: ['admin'], expiresIn: 7200 }),
    async close() {
      await browser.close();
      await api.close();
    },
  };
}

/** What a page did that a test must see: dialogs opened, script errors, CSP violations. */
export interface PageWatch {
  page: Page;
  context: BrowserContext;
  dialogs: string[];
  errors: string[];
}

/** A fresh browser context (no cookies) at 1280×800, watched. */
export async function openPage(fixture: ConsoleFixture, locale = 'en-US'): Promise<PageWatch> {
  const context = await fixture.browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    locale,
    acceptDownloads: true,
    // The console then skips antd's animations: what a test reads is never half faded in.
    reducedMotion: 'reduce',
  });
  // Playwright gives up on a wait after 30 s by default: on a loaded CI machine a page may take
  // longer, so the limit is only a guard against a hang, as waitFor's is.
  context.setDefaultTimeout(BROWSER_WAIT_LIMIT_MS);
  context.setDefaultNavigationTimeout(BROWSER_WAIT_LIMIT_MS);
  const page = await context.newPage();
  const watch: PageWatch = { page, context, dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => watch.errors.push(error.message));
  page.on('console', (message) => {
    // Chromium reports a CSP refusal as a console error.
    if (message.type() === 'error' && /Content Security Policy/.test(message.text())) {
      watch.errors.push(message.text());
    }
  });
  return watch;
}

/** Signs in through the console's form with `token`, landing on the first view. */
export async function signInWithToken(fixture: ConsoleFixture, page: Page, token: string): Promise<void> {
  await page.goto(`${fixture.api.url}/console/sign-in`);
  await page.getByTestId('token-input').fill(token);
  await page.getByTestId('sign-in-button').click();
  await page.getByTestId('view-communication-log').waitFor();
}

/** The ids of the table's rows once it has loaded, top to bottom. */
export async function rowIds(page: Page): Promise<string[]> {
  await page.locator('[data-testid="log-table"][data-state="ready"]').waitFor();
  const rows = await page.locator('[data-testid="log-table"] tr[data-row-key]').all();
  return Promise.all(rows.map(async (row) => (await row.getAttribute('data-row-key')) ?? ''));
}

/** Waits until the table shows exactly `expected` (ids, in order); fails naming what it showed. */
export async function waitForRows(page: Page, expected: readonly string[], what: string): Promise<void> {
  let seen: string[] = [];
  await waitFor(
    what,
    async () => {
      seen = await rowIds(page);
      return seen.join() === expected.join();
    },
    { limitMs: 30_000 },
  ).catch((error: unknown) => {
    assert.fail(`${String(error)}\nexpected ${expected.join()}\nshown    ${seen.join()}`);
  });
}

/** The query the view sends (filters, tenant, from, until) as its CSV export link names it. */
export async function viewQuery(page: Page): Promise<URLSearchParams> {
  const href = await page.getByTestId('export-csv').getAttribute('href');
  assert.ok(href !== null, 'the export link has an href');
  const query = new URL(href, 'http://console.invalid').searchParams;
  query.delete('format');
  return query;
}

/** GET /v1/logs/{kind} with a bearer token: one page. */
export async function apiPage(
  api: TestServer,
  token: string,
  kind: string,
  query: URLSearchParams,
): Promise<{ items: { id: string }[]; has_more: boolean; last_row_key: string }> {
  const response = await api.request('GET', `/v1/logs/${kind}?${query.toString()}`, { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.data as { items: { id: string }[]; has_more: boolean; last_row_key: string };
}

/** The ids of the API's first page for the view's current query and `limit`. */
export async function apiIds(
  fixture: ConsoleFixture,
  page: Page,
  kind: string,
  limit = 20,
  token = fixture.tenantAdmin,
): Promise<string[]> {
  const query = await viewQuery(page);
  query.set('limit', String(limit));
  return (await apiPage(fixture.api, token, kind, query)).items.map((item) => item.id);
}
