/**
 * The drawer's proof check in real Chromium: the record's inclusion proof against the signed
 * checkpoint and the tenant's key, checked in the browser. Verified for a stored record; failed
 * once its row is changed in the store behind sealog's back; pending before any checkpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestServer } from '../helpers/test-server.js';
import { runStoreSql } from '../helpers/store-sql.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  COMMUNICATION_LOGS,
  openPage,
  signInWithToken,
  startConsoleFixture,
  TENANT,
  type ConsoleFixture,
} from './console-fixture.js';

/** Signs checkpoints of TENANT's `kind` log until one covers `size` leaves. */
async function checkpointCovering(api: TestServer, token: string, kind: string, size: number): Promise<void> {
  await waitFor(`a checkpoint of ${size} ${kind} leaves`, async () => {
    const response = await fetch(`${api.url}/v1/integrity/${kind}/checkpoint?tenant_id=${TENANT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const note = await response.text();
    assert.ok(response.status === 200 || response.status === 201, note);
    return Number(note.split('\n')[1]) >= size;
  });
}

/** Runs `sql` on the server's store directly, as someone with write access to the database would. */
function tamper(api: TestServer, sql: string): Promise<void> {
  return runStoreSql(api.databaseUrl, sql);
}

/** Opens `id`'s drawer in `kind`'s view and waits for the proof check to settle; its state and text. */
async function proofOf(page: Page, base: string, kind: string, id: string, query = '') {
  await page.goto(`${base}/console/${kind}${query}`);
  await page.locator(`tr[data-row-key="${id}"]`).click();
  const status = page.getByTestId('proof-status');
  await page.locator('[data-testid="proof-status"]:not([data-state="checking"])').waitFor();
  return {
    state: await status.getAttribute('data-state'),
    label: await status.textContent(),
    detail: (await page.getByTestId('proof-detail').textContent()) ?? '',
  };
}

describe('the proof check in the browser', () => {
  let fixture: ConsoleFixture;
  let page: Page;

  before(async () => {
    fixture = await startConsoleFixture();
    const watch = await openPage(fixture);
    page = watch.page;
    await signInWithToken(fixture, page, fixture.tenantAdmin);
  });
  after(async () => {
    await fixture.close();
  });

  test('a record not yet in a checkpoint is pending, with a retry that turns verified', async () => {
    const pending = await proofOf(page, fixture.api.url, 'mfa-config-audit-log', 'mfa_000');
    assert.equal(pending.state, 'pending');
    assert.equal(pending.label, 'pending');
    await checkpointCovering(fixture.api, fixture.tenantAdmin, 'mfa-config-audit-log', 15);
    await page.getByTestId('proof-retry').click();
    await page.locator('[data-testid="proof-status"][data-state="verified"]').waitFor();
  });

  test('a stored record is verified against the signed checkpoint, with its size', async () => {
    await checkpointCovering(fixture.api, fixture.tenantAdmin, 'communication-log', COMMUNICATION_LOGS);
    const proof = await proofOf(page, fixture.api.url, 'communication-log', 'log_c007');
    assert.equal(proof.state, 'verified', proof.detail);
    assert.equal(proof.label, 'verified');
    assert.match(proof.detail, new RegExp(`checkpoint of ${COMMUNICATION_LOGS} leaves`));
    assert.match(proof.detail, /fields compared/);
    assert.equal(
      await page.getByTestId('proof-detail').getAttribute('data-size'),
      String(COMMUNICATION_LOGS),
    );
  });

  test('a row changed in the store fails, saying the leaf no longer hashes to the root', async () => {
    await checkpointCovering(fixture.api, fixture.tenantAdmin, 'operate-log', 16);
    assert.equal((await proofOf(page, fixture.api.url, 'operate-log', 'op_002')).state, 'verified');
    await tamper(fixture.api, "UPDATE operate_logs SET merchant_code = 'forged' WHERE id = 'op_002'");
    const proof = await proofOf(page, fixture.api.url, 'operate-log', 'op_002');
    assert.equal(proof.state, 'failed', proof.detail);
    assert.equal(proof.label, 'failed');
    assert.match(proof.detail, /does not hash to the checkpoint’s root/);
    // Its neighbours are untouched.
    assert.equal((await proofOf(page, fixture.api.url, 'operate-log', 'op_001')).state, 'verified');
  });

  test('the verdict is in the chosen language', async () => {
    await checkpointCovering(fixture.api, fixture.tenantAdmin, 'communication-log', COMMUNICATION_LOGS);
    await page.evaluate("localStorage.setItem('sealog.console.language', 'zh-CN')");
    const proof = await proofOf(page, fixture.api.url, 'communication-log', 'log_c001');
    assert.equal(proof.state, 'verified');
    assert.equal(proof.label, '已验证');
    await page.evaluate("localStorage.removeItem('sealog.console.language')");
  });
});
