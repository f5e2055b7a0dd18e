import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type {
  CommunicationLog,
  StatusTransition,
} from '../../src/kinds/communication-log/communication-log-table.js';
import type { MfaConfigAuditLog } from '../../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import type { OperateLog } from '../../src/kinds/operate-log/operate-log-table.js';
import type { AuditStore } from '../../src/domain/audit-store.js';
import type { CommunicationLogWithHistory } from '../../src/kinds/communication-log/communication-log-repository.js';
import type { OperateLogCursor } from '../../src/kinds/operate-log/operate-log-repository.js';

/** A fresh, migrated store and how to dispose of it. */
export interface StoreFixture {
  store: AuditStore;
  /** Finishes background work (the substring index) so the indexed query plans are exercised. */
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

const BASE_MS = Date.UTC(2026, 3, 15, 10);

/** A pending SMS log of tenant tnt_a; `overrides` replace fields. */
export function communicationLog(overrides: Partial<CommunicationLog> = {}): CommunicationLog {
  return {
    tenant_id: 'tnt_a',
    id: 'log_1',
    user_id: 'usr_alice',
    channel: 'sms',
    status: 'pending',
    recipient: '13800138000',
    content: '您的验证码是123456',
    provider: 'aliyun',
    template_id: 'tpl_1',
    error: null,
    response: null,
    sent_at: null,
    created_at: BASE_MS,
    updated_at: BASE_MS,
    ...overrides,
  };
}

/** An MFA config audit log of tenant tnt_a; `overrides` replace fields. */
export function mfaLog(overrides: Partial<MfaConfigAuditLog> = {}): MfaConfigAuditLog {
  return {
    tenant_id: 'tnt_a',
    id: 'mfa_1',
    action: 'mfa_totp.enabled',
    target_type: 'mfa_totp',
    target_id: 'mfa_x',
    operator_id: 'usr_admin',
    module: 'data',
    message: 'TOTP enabled',
    timestamp: BASE_MS,
    ...overrides,
  };
}

/** An operate log of tenant tnt_a; `overrides` replace fields. */
export function operateLog(overrides: Partial<OperateLog> = {}): OperateLog {
  return {
    tenant_id: 'tnt_a',
    id: 'op_1',
    record_time: BASE_MS,
    uid: 'bay1',
    username: 'alice',
    operate_type: 'Login',
    operate_content: 'Log in to System 2',
    user_id: 'usr_alice',
    role: 'admin',
    account: '18036142000',
    operate_geo_info: 'Shenzhen',
    operate_ip_info: '192.0.2.1',
    client_id: 'client_a',
    merchant_code: 'tuya',
    ext: '',
    project_code: 'p1',
    ...overrides,
  };
}

/**
 * The behaviour every AuditStore adapter must show, run against a real database.
 * `open` returns a fresh, migrated, empty store for each test.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`AuditStore contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: AuditStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    test('migrate is idempotent and ping answers', async () => {
      assert.deepEqual(await store.migrate(), []);
      await store.ping();
    });

    test('insertMany reports ids in batch order and skips ids stored already', async () => {
      const first = await store.communicationLogs.insertMany([
        communicationLog({ id: 'b' }),
        communicationLog({ id: 'a' }),
      ]);
      assert.deepEqual(first, { ids: ['b', 'a'], duplicates: [] });
      const retry = await store.communicationLogs.insertMany([
        communicationLog({ id: 'c' }),
        communicationLog({ id: 'a', content: 'changed' }),
      ]);
      assert.deepEqual(retry, { ids: ['c', 'a'], duplicates: ['a'] });
      const page = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
      assert.equal(page.total, 3);
      assert.equal(page.rows.find((row) => row.id === 'a')?.content, '您的验证码是123456');
    });

    test('the same id in two tenants is two rows', async () => {
      await store.communicationLogs.insertMany([
        communicationLog({ tenant_id: 'tnt_a' }),
        communicationLog({ tenant_id: 'tnt_b' }),
      ]);
      assert.equal(
        (await store.communicationLogs.list({ tenantId: 'tnt_a' }, { limit: 10, offset: 0 })).total,
        1,
      );
      assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 2);
    });

    test('a batch that fails part-way stores nothing', async () => {
      const broken = communicationLog({ id: 'bad', user_id: null as unknown as string });
      await assert.rejects(
        store.communicationLogs.insertMany([
          communicationLog({ id: 'ok1' }),
          broken,
          communicationLog({ id: 'ok2' }),
        ]),
      );
      assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 0);
    });

    test('concurrent batches are independent: a failing one stores nothing, the others everything', async () => {
      const broken = communicationLog({ id: 'bad', user_id: null as unknown as string });
      const results = await Promise.allSettled([
        store.communicationLogs.insertMany([communicationLog({ id: 'a1' }), communicationLog({ id: 'a2' })]),
        store.communicationLogs.insertMany([communicationLog({ id: 'b1' }), broken]),
        store.operateLogs.insertMany([operateLog({ id: 'c1' })]),
        store.communicationLogs.insertMany([communicationLog({ id: 'd1' }), communicationLog({ id: 'a1' })]),
      ]);
      assert.deepEqual(
        results.map((result) => result.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      // The first and the last batch both carry a1 and may commit in either order (PostgreSQL runs
      // them on two connections): one stores it, the other reports it stored already.
      const duplicates = [results[0], results[3]].flatMap((result) =>
        result.status === 'fulfilled' ? result.value.duplicates : ['(rejected)'],
      );
      assert.deepEqual(duplicates, ['a1']);
      const stored = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
      assert.deepEqual(stored.rows.map((row) => row.id).sort(), ['a1', 'a2', 'd1']);
      assert.equal((await store.operateLogs.page({ tenantId: 'tnt_a' }, undefined, 10)).length, 1);
    });

    test('lists newest first by (time, id) and filters exactly', async () => {
      await store.communicationLogs.insertMany([
        communicationLog({ id: 'x1', created_at: BASE_MS }),
        communicationLog({ id: 'x3', created_at: BASE_MS, channel: 'email', status: 'sent' }),
        communicationLog({ id: 'x2', created_at: BASE_MS, user_id: 'usr_bob' }),
        communicationLog({ id: 'x0', created_at: BASE_MS + 1 }),
      ]);
      const all = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
      assert.deepEqual(
        all.rows.map((row) => row.id),
        ['x0', 'x3', 'x2', 'x1'],
      );
      const window = await store.communicationLogs.list({}, { limit: 2, offset: 1 });
      assert.deepEqual(
        window.rows.map((row) => row.id),
        ['x3', 'x2'],
      );
      assert.equal(window.total, 4);
      const filtered = await store.communicationLogs.list(
        { tenantId: 'tnt_a', userId: 'usr_alice', channel: 'sms', status: 'pending' },
        { limit: 10, offset: 0 },
      );
      assert.deepEqual(
        filtered.rows.map((row) => row.id),
        ['x0', 'x1'],
      );
      assert.deepEqual(all.rows[0], communicationLog({ id: 'x0', created_at: BASE_MS + 1 }));
    });

    test('applyTransition is a compare-and-set that keeps every accepted transition', async () => {
      await store.communicationLogs.insertMany([communicationLog()]);
      const toSent: StatusTransition = {
        tenant_id: 'tnt_a',
        log_id: 'log_1',
        from_status: 'pending',
        to_status: 'sent',
        error: null,
        response: '{"ok":true}',
        sent_at: BASE_MS + 1000,
        changed_at: BASE_MS + 2000,
      };
      assert.equal(await store.communicationLogs.applyTransition(toSent), true);
      assert.equal(
        await store.communicationLogs.applyTransition(toSent),
        false,
        'status is no longer pending',
      );
      const toFailed: StatusTransition = {
        ...toSent,
        from_status: 'sent',
        to_status: 'failed',
        error: 'timeout',
        response: null,
        sent_at: null,
        changed_at: BASE_MS + 3000,
      };
      assert.equal(await store.communicationLogs.applyTransition(toFailed), true);
      const log = await store.communicationLogs.find('tnt_a', 'log_1');
      assert.deepEqual(
        {
          status: log?.status,
          error: log?.error,
          response: log?.response,
          sent_at: log?.sent_at,
          updated_at: log?.updated_at,
        },
        {
          status: 'failed',
          error: 'timeout',
          response: '{"ok":true}',
          sent_at: BASE_MS + 1000,
          updated_at: BASE_MS + 3000,
        },
      );
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'log_1'), [toSent, toFailed]);
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_b', 'log_1'), []);
      assert.equal(await store.communicationLogs.find('tnt_b', 'log_1'), undefined);
    });

    test('importMany stores logs with their histories, once', async () => {
      const sent = transition('log_d', 'pending', 'sent', { sent_at: BASE_MS + 1, response: '{"id":1}' });
      const delivered = transition('log_d', 'sent', 'delivered', { changed_at: BASE_MS + 5 });
      const entries: CommunicationLogWithHistory[] = [
        {
          log: communicationLog({
            id: 'log_d',
            status: 'delivered',
            sent_at: BASE_MS + 1,
            response: '{"id":1}',
            updated_at: BASE_MS + 5,
          }),
          transitions: [sent, delivered],
        },
        { log: communicationLog({ id: 'log_p' }), transitions: [] },
        {
          log: communicationLog({ tenant_id: 'tnt_b', id: 'log_d', status: 'failed', error: 'rejected' }),
          transitions: [
            { ...transition('log_d', 'pending', 'failed', { error: 'rejected' }), tenant_id: 'tnt_b' },
          ],
        },
      ];
      assert.deepEqual(await store.communicationLogs.importMany(entries), {
        ids: ['log_d', 'log_p', 'log_d'],
        duplicates: [],
      });
      assert.deepEqual(await store.communicationLogs.find('tnt_a', 'log_d'), entries[0]?.log);
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'log_d'), [sent, delivered]);
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'log_p'), []);
      assert.deepEqual(
        await store.communicationLogs.listTransitions('tnt_b', 'log_d'),
        entries[2]?.transitions,
      );

      // A re-run copy: stored logs are skipped with their (possibly different) histories.
      const again = await store.communicationLogs.importMany([
        ...entries.map((entry) => ({ ...entry, transitions: [...entry.transitions, delivered] })),
        { log: communicationLog({ id: 'log_new' }), transitions: [] },
      ]);
      assert.deepEqual(again, {
        ids: ['log_d', 'log_p', 'log_d', 'log_new'],
        duplicates: ['log_d', 'log_p', 'log_d'],
      });
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'log_d'), [sent, delivered]);
      assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 4);

      // Imported history continues like any other: the next receipt is appended after it.
      const pSent = transition('log_p', 'pending', 'sent', { changed_at: BASE_MS + 9 });
      assert.equal(await store.communicationLogs.applyTransition(pSent), true);
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'log_p'), [pSent]);
    });

    test('an importMany batch that fails part-way stores no log and no transition', async () => {
      await assert.rejects(
        store.communicationLogs.importMany([
          { log: communicationLog({ id: 'ok' }), transitions: [transition('ok', 'pending', 'sent')] },
          { log: communicationLog({ id: 'bad', user_id: null as unknown as string }), transitions: [] },
        ]),
      );
      assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 0);
      assert.deepEqual(await store.communicationLogs.listTransitions('tnt_a', 'ok'), []);
      assert.deepEqual(await store.tally(), []);
    });

    test('tally counts rows per table and tenant, tables in a fixed order, tenants ascending', async () => {
      assert.deepEqual(await store.tally(), []);
      await store.communicationLogs.insertMany([
        communicationLog({ tenant_id: 'tnt_b', id: 'c1' }),
        communicationLog({ tenant_id: 'tnt_a', id: 'c1' }),
        communicationLog({ tenant_id: 'tnt_a', id: 'c2' }),
      ]);
      await store.communicationLogs.applyTransition(transition('c1', 'pending', 'sent'));
      await store.communicationLogs.applyTransition(transition('c1', 'sent', 'delivered'));
      await store.mfaConfigAuditLogs.insertMany([
        mfaLog({ tenant_id: 'tnt_c', id: 'm1' }),
        mfaLog({ tenant_id: 'tnt_c', id: 'm2' }),
      ]);
      await store.operateLogs.insertMany([
        operateLog({ tenant_id: 'tnt_c', id: 'o1' }),
        operateLog({ tenant_id: 'tnt_a', id: 'o1' }),
        operateLog({ tenant_id: 'tnt_c', id: 'o2' }),
      ]);
      assert.deepEqual(await store.tally(), [
        { table: 'communication_logs', tenantId: 'tnt_a', rows: 2 },
        { table: 'communication_logs', tenantId: 'tnt_b', rows: 1 },
        { table: 'communication_log_transitions', tenantId: 'tnt_a', rows: 2 },
        { table: 'mfa_config_audit_logs', tenantId: 'tnt_c', rows: 2 },
        { table: 'operate_logs', tenantId: 'tnt_a', rows: 1 },
        { table: 'operate_logs', tenantId: 'tnt_c', rows: 2 },
      ]);
    });

    test('MFA logs filter by exact fields and a half-open time range', async () => {
      await store.mfaConfigAuditLogs.insertMany([
        mfaLog({ id: 'm1', timestamp: BASE_MS - 1 }),
        mfaLog({ id: 'm2', timestamp: BASE_MS, operator_id: 'usr_alice' }),
        mfaLog({ id: 'm3', timestamp: BASE_MS + 10, action: 'mfa_totp.disabled' }),
      ]);
      const ranged = await store.mfaConfigAuditLogs.list(
        { fromMs: BASE_MS, untilMs: BASE_MS + 10 },
        { limit: 10, offset: 0 },
      );
      assert.deepEqual(
        ranged.rows.map((row) => row.id),
        ['m2'],
      );
      const byAction = await store.mfaConfigAuditLogs.list(
        { action: 'mfa_totp.disabled' },
        { limit: 10, offset: 0 },
      );
      assert.deepEqual(byAction.rows, [
        mfaLog({ id: 'm3', timestamp: BASE_MS + 10, action: 'mfa_totp.disabled' }),
      ]);
      assert.equal(
        (await store.mfaConfigAuditLogs.list({ tenantId: 'tnt_b' }, { limit: 10, offset: 0 })).total,
        0,
      );
    });

    test('operate logs page newest first by (record_time, id), after a cursor, with exact filters', async () => {
      await store.operateLogs.insertMany([
        operateLog({ id: 'a', record_time: BASE_MS }),
        operateLog({ id: 'c', record_time: BASE_MS, operate_type: 'Logout' }),
        operateLog({ id: 'b', record_time: BASE_MS, merchant_code: 'acme' }),
        operateLog({ id: 'd', record_time: BASE_MS + 5 }),
        operateLog({ id: 'x', tenant_id: 'tnt_b', record_time: BASE_MS + 9 }),
      ]);
      const ids = async (
        filter: Partial<Parameters<AuditStore['operateLogs']['page']>[0]>,
        after?: { recordTime: number; id: string },
      ) => (await store.operateLogs.page({ tenantId: 'tnt_a', ...filter }, after, 10)).map((row) => row.id);
      assert.deepEqual(await ids({}), ['d', 'c', 'b', 'a']);
      assert.deepEqual(await ids({}, { recordTime: BASE_MS, id: 'c' }), ['b', 'a']);
      assert.deepEqual(await ids({}, { recordTime: BASE_MS + 5, id: 'd' }), ['c', 'b', 'a']);
      assert.deepEqual(await ids({ fromMs: BASE_MS + 1, untilMs: BASE_MS + 5 }), ['d']);
      assert.deepEqual(await ids({ fromMs: BASE_MS, untilMs: BASE_MS }), ['c', 'b', 'a']);
      assert.deepEqual(await ids({ operateType: 'Logout' }), ['c']);
      assert.deepEqual(await ids({ merchantCode: 'acme' }), ['b']);
      const [first] = await store.operateLogs.page({ tenantId: 'tnt_b' }, undefined, 1);
      assert.deepEqual(first, operateLog({ id: 'x', tenant_id: 'tnt_b', record_time: BASE_MS + 9 }));
    });

    test('key_words match substrings the same way before and after background indexing', async () => {
      const contents = [
        'Log IN to System 2',
        '用户登录了系统',
        '关闭了客厅的灯',
        '100%_done',
        'logout',
        'Log in again',
      ];
      await store.operateLogs.insertMany(
        contents.map((content, index) =>
          operateLog({ id: `k${index}`, record_time: BASE_MS + index, operate_content: content }),
        ),
      );
      const expectations: [string, string[]][] = [
        ['log in', ['k5', 'k0']],
        ['LOG', ['k5', 'k4', 'k0']],
        ['登', ['k1']],
        ['登录', ['k1']],
        ['登录了系统', ['k1']],
        ['了', ['k2', 'k1']],
        ['%_', ['k3']],
        ['_', ['k3']],
        ['"', []],
        ['no such text', []],
      ];
      for (const round of ['before indexing', 'after indexing']) {
        if (round === 'after indexing') await fixture.settle();
        for (const [term, expected] of expectations) {
          const rows = await store.operateLogs.page({ tenantId: 'tnt_a', keyWords: term }, undefined, 10);
          assert.deepEqual(
            rows.map((row) => row.id),
            expected,
            `${term} ${round}`,
          );
        }
      }
    });

    test('key_words pages hold the newest matches, however common or rare the term', async () => {
      // 1,500 rows: every third says "common"; the ten oldest and the newest say "old and rare".
      await store.operateLogs.insertMany(
        Array.from({ length: 1500 }, (_, i) =>
          operateLog({
            id: `r${String(i).padStart(4, '0')}`,
            record_time: BASE_MS + i,
            operate_content: `${i % 3 === 0 ? 'common' : 'plain'} ${i < 10 || i === 1499 ? 'old and rare' : ''}`,
          }),
        ),
      );
      await fixture.settle();
      const ids = async (term: string, after?: OperateLogCursor) =>
        (await store.operateLogs.page({ tenantId: 'tnt_a', keyWords: term }, after, 4)).map((row) => row.id);
      assert.deepEqual(await ids('common'), ['r1497', 'r1494', 'r1491', 'r1488']);
      assert.deepEqual(await ids('common', { recordTime: BASE_MS + 12, id: 'r0012' }), [
        'r0009',
        'r0006',
        'r0003',
        'r0000',
      ]);
      assert.deepEqual(await ids('old and rare'), ['r1499', 'r0009', 'r0008', 'r0007']);
      assert.deepEqual(await ids('old and rare', { recordTime: BASE_MS + 2, id: 'r0002' }), [
        'r0001',
        'r0000',
      ]);
    });

    test('a Tuya refresh token rotates once; nonces are refused while remembered', async () => {
      const pair = {
        accessHash: 'a1',
        refreshHash: 'r1',
        clientId: 'client_a',
        uid: 'u',
        issuedAt: BASE_MS,
        accessExpiresAt: BASE_MS + 1000,
        refreshExpiresAt: BASE_MS + 10_000,
        revokedAt: null,
      };
      await store.tuyaTokens.insert(pair);
      assert.deepEqual(await store.tuyaTokens.findByAccessHash('a1'), pair);
      const next = { ...pair, accessHash: 'a2', refreshHash: 'r2' };
      assert.equal(await store.tuyaTokens.rotate('client_b', 'r1', next, BASE_MS + 1), false, 'other client');
      assert.equal(await store.tuyaTokens.rotate('client_a', 'r1', next, BASE_MS + 1), true);
      assert.equal(
        await store.tuyaTokens.rotate(
          'client_a',
          'r1',
          { ...next, accessHash: 'a3', refreshHash: 'r3' },
          BASE_MS + 2,
        ),
        false,
      );
      assert.equal((await store.tuyaTokens.findByAccessHash('a1'))?.revokedAt, BASE_MS + 1);
      assert.equal((await store.tuyaTokens.findByAccessHash('a2'))?.revokedAt, null);
      assert.equal(
        await store.tuyaTokens.rotate(
          'client_a',
          'r2',
          { ...next, accessHash: 'a4', refreshHash: 'r4' },
          BASE_MS + 20_000,
        ),
        false,
        'expired',
      );

      assert.equal(await store.nonces.remember('client_a', 'n1', BASE_MS + 100, BASE_MS), true);
      assert.equal(await store.nonces.remember('client_a', 'n1', BASE_MS + 200, BASE_MS + 50), false);
      assert.equal(await store.nonces.remember('client_b', 'n1', BASE_MS + 200, BASE_MS + 50), true);
      assert.equal(
        await store.nonces.remember('client_a', 'n1', BASE_MS + 300, BASE_MS + 150),
        true,
        'expired nonce',
      );
    });
  });
}

/** A transition of log `logId` in tnt_a at BASE_MS; `overrides` replace fields. */
function transition(
  logId: string,
  from: StatusTransition['from_status'],
  to: StatusTransition['to_status'],
  overrides: Partial<StatusTransition> = {},
): StatusTransition {
  return {
    tenant_id: 'tnt_a',
    log_id: logId,
    from_status: from,
    to_status: to,
    error: null,
    response: null,
    sent_at: null,
    changed_at: BASE_MS,
    ...overrides,
  };
}
