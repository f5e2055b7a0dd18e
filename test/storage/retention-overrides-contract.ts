import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditStore, RetentionOverrideChange } from '../../src/domain/audit-store.js';
import type { StoreFixture } from './store-contract.js';

/** What every store's retentionOverrides does: per-tenant keys, removal by null, one transaction per put. */
export function describeRetentionOverridesContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`retention overrides contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: AuditStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    const keys = async (tenantId: string) =>
      (await store.retentionOverrides.get(tenantId)).map(({ policyKey, period }) => `${policyKey}=${period}`);

    test('put sets and removes keys of one tenant; list names every tenant with overrides', async () => {
      const overrides = store.retentionOverrides;
      assert.deepEqual(await overrides.get('tnt_a'), []);
      assert.deepEqual(await overrides.list(), []);
      await overrides.put(
        'tnt_a',
        [
          { policyKey: 'operate-logs', period: '30d' },
          { policyKey: 'communication-logs', period: '90d' },
        ],
        'usr_root',
        1000,
      );
      await overrides.put('tnt_b', [{ policyKey: 'access-logs', period: 'forever' }], 'usr_other', 2000);
      await overrides.put(
        'tnt_a',
        [
          { policyKey: 'operate-logs', period: null },
          { policyKey: 'communication-logs', period: '60d' },
          { policyKey: 'communication-logs.content', period: '7d' },
          { policyKey: 'mfa-config-audit-logs', period: null },
        ],
        'usr_root2',
        3000,
      );
      assert.deepEqual(await overrides.get('tnt_a'), [
        { policyKey: 'communication-logs', period: '60d', updatedAt: 3000, updatedBy: 'usr_root2' },
        { policyKey: 'communication-logs.content', period: '7d', updatedAt: 3000, updatedBy: 'usr_root2' },
      ]);
      assert.deepEqual(await overrides.list(), [
        { tenantId: 'tnt_a', overrides: await overrides.get('tnt_a') },
        {
          tenantId: 'tnt_b',
          overrides: [
            { policyKey: 'access-logs', period: 'forever', updatedAt: 2000, updatedBy: 'usr_other' },
          ],
        },
      ]);
      await overrides.put('tnt_b', [{ policyKey: 'access-logs', period: null }], 'usr_root', 4000);
      assert.deepEqual(
        (await overrides.list()).map(({ tenantId }) => tenantId),
        ['tnt_a'],
      );
    });

    test('a put the store refuses part of stores none of it', async () => {
      await store.retentionOverrides.put('tnt_a', [{ policyKey: 'operate-logs', period: '30d' }], 'u', 1);
      // A key the columns cannot hold (NOT NULL), after changes that alone would be stored.
      const broken = [
        { policyKey: 'operate-logs', period: null },
        { policyKey: 'access-logs', period: '1d' },
        { policyKey: null, period: '2d' },
      ] as unknown as RetentionOverrideChange[];
      await assert.rejects(store.retentionOverrides.put('tnt_a', broken, 'u', 2));
      assert.deepEqual(await keys('tnt_a'), ['operate-logs=30d']);
    });
  });
}
