/**
 * The console's views in real Chromium against a real server: filters of each view, key_words in
 * Chinese and English, cursor paging compared with the API, export, language, text-only rendering,
 * accessibility (axe-core) and the README's screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait-for.js';
import {
  apiIds,
  apiPage,
  COMMUNICATION_LOGS,
  openPage,
  rowIds,
  signInWithToken,
  startConsoleFixture,
  TENANT,
  viewQuery,
  waitForRows,
  XSS,
  type ConsoleFixture,
  type PageWatch,
} from './console-fixture.js';

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');

describe('the console views', () => {
  let fixture: ConsoleFixture;
  let watch: PageWatch;
  let page: Page;

  before(async () => {
    fixture = await startConsoleFixture();
    watch = await openPage(fixture);
    page = watch.page;
    await signInWithToken(fixture, page, fixture.tenantAdmin);
  });
  after(async () => {
    await fixture.close();
  });

  /** Opens `kind`'s view with `query` as a shared link would. */
  async function open(kind: string, query = ''): Promise<void> {
    await page.goto(`${fixture.api.url}/console/${kind}${query === '' ? '' : `?${query}`}`);
    await page.getByTestId(`view-${kind}`).waitFor();
  }

  /** Types `value` into the filter labelled `label` and submits the filter bar. */
  async function filterText(label: string, value: string): Promise<void> {
    const field = page.getByLabel(label, { exact: true });
    await field.fill(value);
    await field.press('Enter');
  }

  /** Picks `option` in the select labelled `label`, by keyboard. */
  async function choose(label: string, option: string): Promise<void> {
    const select = page.getByLabel(label, { exact: true });
    await select.click();
    await page.locator(`.ant-select-item-option[title="${option}"]`).click();
  }

  /** After a filter change: the URL holds it, and the table shows what the API answers for it. */
  async function expectApiRows(kind: string, param: string, value: string): Promise<string[]> {
    await waitFor(
      `${param}=${value} in the URL`,
      () => new URL(page.url()).searchParams.get(param) === value,
    );
    const expected = await apiIds(
      fixture,
      page,
      kind,
      Number(new URL(page.url()).searchParams.get('limit') ?? 20),
    );
    await waitForRows(page, expected, `the ${kind} rows for ${param}=${value}`);
    return expected;
  }

  /**
   * expectApiRows for a log that grows while it is read (the access log records the console's own
   * reads): the table shows the API's page as it was when the table loaded, so the API's answer now
   * is that page with newer rows ahead of it.
   */
  async function expectGrowingApiRows(kind: string, param: string, value: string): Promise<string[]> {
    await waitFor(
      `${param}=${value} in the URL`,
      () => new URL(page.url()).searchParams.get(param) === value,
    );
    const limit = Number(new URL(page.url()).searchParams.get('limit') ?? 20);
    let seen: string[] = [];
    let expected: string[] = [];
    await waitFor(`the ${kind} rows for ${param}=${value}`, async () => {
      seen = await rowIds(page);
      expected = await apiIds(fixture, page, kind, limit);
      const newer = expected.indexOf(seen[0] ?? '');
      return (
        seen.length > 0 &&
        newer !== -1 &&
        expected.slice(newer).join() === seen.slice(0, expected.length - newer).join()
      );
    }).catch((error: unknown) => {
      assert.fail(`${String(error)}\nAPI now  ${expected.join()}\nshown    ${seen.join()}`);
    });
    return seen;
  }

  test('communication logs: each filter narrows the table to what the API answers', async () => {
    await open('communication-log', 'limit=100');
    const all = await rowIds(page);
    assert.equal(all.length, 65);
    await filterText('User', 'usr_bob');
    const bob = await expectApiRows('communication-log', 'user_id', 'usr_bob');
    assert.equal(bob.length, 22, 'every third log is bob’s');
    await choose('Channel', 'email');
    await page.getByTestId('apply-filters').click();
    const bobEmail = await expectApiRows('communication-log', 'channel', 'email');
    // Seeded: bob is every third record, email too: the same records.
    assert.deepEqual(bobEmail, bob);
    await choose('Status', 'failed');
    await page.getByTestId('apply-filters').click();
    const failed = await expectApiRows('communication-log', 'status', 'failed');
    assert.ok(failed.length < bob.length, 'status narrows further');
    const statuses = await page
      .locator('[data-testid="log-table"] tr[data-row-key] td:nth-child(4)')
      .allTextContents();
    assert.ok(
      statuses.every((status) => status === 'failed'),
      statuses.join(),
    );
    // The back button restores the previous filters, and the rows with them.
    await page.goBack();
    await waitFor('status gone from the URL', () => new URL(page.url()).searchParams.get('status') === null);
    await waitForRows(page, bobEmail, 'the rows before the status filter');
  });

  test('MFA config audit logs, operate logs and access logs filter too', async () => {
    await open('mfa-config-audit-log');
    await filterText('Operator', 'usr_bob');
    const bob = await expectApiRows('mfa-config-audit-log', 'operator_id', 'usr_bob');
    assert.equal(bob.length, 7);
    await filterText('Action', 'mfa_policy.updated');
    const policy = await expectApiRows('mfa-config-audit-log', 'action', 'mfa_policy.updated');
    assert.ok(policy.length > 0 && policy.length < bob.length);

    await open('operate-log');
    await filterText('Merchant code', 'acme');
    const acme = await expectApiRows('operate-log', 'merchant_code', 'acme');
    assert.equal(acme.length, 6);
    await filterText('Operate type', 'login');
    assert.ok((await expectApiRows('operate-log', 'operate_type', 'login')).length > 0);

    await open('access-log');
    await filterText('Actor', 'usr_admin');
    const mine = await expectGrowingApiRows('access-log', 'actor', 'usr_admin');
    assert.ok(mine.length > 0, 'the console’s own reads are in the access log');
    // The route of one of those reads, as the access log names routes: one of the views left
    // before, whose rows no longer grow (this view's own page and histogram reads add rows of their
    // routes while the table loads, which the table, loaded first, cannot show).
    const reads = await fixture.api.request('GET', '/v1/logs/access-log?actor=usr_admin&limit=100', {
      token: fixture.tenantAdmin,
    });
    const route = String(
      (reads.body.data as { items: { route: string }[] }).items.find(
        (item) => !item.route.includes('access-log'),
      )?.route,
    );
    await filterText('Route', route);
    assert.ok((await expectApiRows('access-log', 'route', route)).length > 0);
  });

  test('key_words finds operate logs by Chinese and by English words', async () => {
    await open('operate-log');
    await filterText('Keywords', '登录');
    const chinese = await expectApiRows('operate-log', 'key_words', '登录');
    assert.equal(chinese.length, 4);
    const contents = await page.locator('[data-testid="log-table"] tr[data-row-key]').allTextContents();
    assert.ok(
      contents.every((row) => row.includes('管理员登录了系统')),
      contents.join('\n'),
    );
    await filterText('Keywords', 'front door');
    const english = await expectApiRows('operate-log', 'key_words', 'front door');
    assert.equal(english.length, 12);
  });

  test('paging walks past three pages exactly as the API’s cursors do, and back', async () => {
    await open('communication-log', 'limit=10');
    const query = await viewQuery(page);
    query.set('limit', '10');
    const apiPages: string[][] = [];
    for (let cursor = ''; apiPages.length < 5;) {
      if (cursor !== '') query.set('after', cursor);
      const answer = await apiPage(fixture.api, fixture.tenantAdmin, 'communication-log', query);
      apiPages.push(answer.items.map((item) => item.id));
      cursor = answer.last_row_key;
      assert.ok(answer.has_more, 'more pages than walked');
    }
    const seen: string[][] = [];
    for (const [index, expected] of apiPages.entries()) {
      if (index > 0) await page.getByTestId('next-page').click();
      await waitFor(
        `page ${index + 1}`,
        async () => (await page.getByTestId('page-number').textContent()) === `Page ${index + 1}`,
      );
      await waitForRows(page, expected, `page ${index + 1}`);
      seen.push(expected);
    }
    const flat = seen.flat();
    assert.equal(new Set(flat).size, flat.length, 'no row twice');
    const ordered = Array.from({ length: 50 }, (_, i) => `log_c${String(i).padStart(3, '0')}`);
    assert.deepEqual(flat, ordered, 'newest first, none skipped');
    await page.getByTestId('previous-page').click();
    await waitForRows(page, apiPages[3] ?? [], 'page 4 again (previous page)');
    await page.goBack();
    await waitForRows(page, apiPages[4] ?? [], 'page 5 again (back button)');
  });

  test('export downloads CSV and NDJSON of the current filter, as the API exports them', async () => {
    await open('communication-log', 'channel=sms');
    await rowIds(page);
    for (const format of ['csv', 'ndjson'] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`export-${format}`).click(),
      ]);
      const file = readFileSync(await download.path(), 'utf8');
      assert.match(download.suggestedFilename(), new RegExp(`^sealog-communication-log-.*\\.${format}$`));
      const href = await page.getByTestId(`export-${format}`).getAttribute('href');
      const direct = await fetch(`${fixture.api.url}${href ?? ''}`, {
        headers: { authorization: `Bearer ${fixture.tenantAdmin}` },
      });
      assert.equal(direct.status, 200);
      assert.equal(file, await direct.text(), `${format}: the button's file is the API's export`);
      const smsIds = Array.from({ length: COMMUNICATION_LOGS }, (_, i) => i)
        .filter((i) => i % 3 === 0)
        .map((i) => `log_c${String(i).padStart(3, '0')}`);
      if (format === 'ndjson') {
        const ids = file
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { id: string }).id);
        assert.deepEqual(ids, smsIds);
      } else {
        assert.equal(file.trim().split('\n').length, smsIds.length + 1, 'a header and one line per sms log');
      }
    }
  });

  test('switching the language translates the console, and only the language is remembered', async () => {
    await open('communication-log');
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-select-item-option[title="简体中文"]').click();
    await page.getByRole('heading', { name: '通信日志' }).waitFor();
    await page.getByRole('button', { name: '下一页' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    const stored = await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))');
    assert.equal(stored, JSON.stringify([['sealog.console.language', 'zh-CN']]));
    await page.reload();
    await page.getByRole('heading', { name: '通信日志' }).waitFor();
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-select-item-option[title="English"]').click();
    await page.getByRole('heading', { name: 'Communication logs' }).waitFor();
  });

  test('a log whose content is markup renders as text, and no script runs', async () => {
    await open('communication-log', 'user_id=usr_bob');
    const cell = page.locator('tr[data-row-key="log_c004"]');
    await cell.waitFor();
    assert.ok((await cell.textContent())?.includes(XSS), 'the markup is shown literally');
    await cell.click();
    await page.getByTestId('raw-json').waitFor();
    assert.ok((await page.getByTestId('raw-json').textContent())?.includes(XSS));
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> was created');
    assert.deepEqual(watch.dialogs, [], 'no dialog fired');
    await page.keyboard.press('Escape');
    await page.getByTestId('detail-drawer').waitFor({ state: 'hidden' });
  });

  test('every view has no serious or critical axe violations, and the README screenshots are taken', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const kind of ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log']) {
      await open(kind);
      await rowIds(page);
      await page.getByTestId('histogram').waitFor();
      await page.evaluate(axe.source);
      const result = await page.evaluate<{ id: string; impact: string; nodes: string[] }[]>(
        "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
      );
      const serious = result.filter(
        (violation) => violation.impact === 'serious' || violation.impact === 'critical',
      );
      assert.deepEqual(serious, [], `${kind}: ${JSON.stringify(serious, null, 2)}`);
      const path = join(SCREENSHOTS, `${kind}.png`);
      await page.screenshot({ path, type: 'png' });
      assert.ok(statSync(path).size < 150_000, `${path} is small (${statSync(path).size} bytes)`);
    }
    // The drawer too, with its proof.
    await open('communication-log');
    await page.locator('tr[data-row-key]').first().click();
    await page.locator('[data-testid="proof-status"]:not([data-state="checking"])').waitFor();
    // axe reads colours as painted: a drawer still sliding or fading in has half its contrast.
    await page.waitForFunction('document.getAnimations().length === 0');
    await page.evaluate(axe.source);
    const drawer = await page.evaluate<string[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))",
    );
    assert.deepEqual(drawer, []);
    assert.deepEqual(watch.errors, [], 'no script error or CSP refusal on any view');
  });

  test('the tenant is the admin’s: a tenant admin sees no switcher, only their tenant', async () => {
    await open('communication-log');
    assert.equal(await page.getByTestId('tenant-name').textContent(), TENANT);
    assert.equal(await page.getByTestId('tenant-switch').count(), 0);
  });
});
