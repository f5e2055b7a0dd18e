import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditStore, ConsoleLink, ConsoleSession } from '../../src/domain/audit-store.js';
import type { StoreFixture } from './store-contract.js';

const NOW = 1_776_000_000_000;

const link = (overrides: Partial<ConsoleLink> = {}): ConsoleLink => ({
  linkHash: 'a'.repeat(64),
  subject: 'usr_admin',
  tenantId: 'tnt_a',
  roles: ['admin'],
  createdAt: NOW,
  expiresAt: NOW + 600_000,
  ...overrides,
});

const session = (hash: string, expiresAt = NOW + 3_600_000) => ({
  sessionHash: hash,
  createdAt: NOW,
  expiresAt,
});

/** What every store's consoleSessions does: links redeemed once and before they expire, sessions found while live. */
export function describeConsoleSessionsContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`console sessions contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: AuditStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    test('a link is redeemed once into a session holding its grant', async () => {
      const sessions = store.consoleSessions;
      await sessions.insertLink(link(), NOW);
      const redeemed = await sessions.redeemLink('a'.repeat(64), session('s1'), NOW + 1000);
      const expected: ConsoleSession = {
        sessionHash: 's1',
        subject: 'usr_admin',
        tenantId: 'tnt_a',
        roles: ['admin'],
        createdAt: NOW,
        expiresAt: NOW + 3_600_000,
      };
      assert.deepEqual(redeemed, expected);
      assert.deepEqual(await sessions.findSession('s1', NOW + 2000), expected);
      assert.equal(await sessions.redeemLink('a'.repeat(64), session('s2'), NOW + 1000), undefined, 'used');
      assert.equal(await sessions.findSession('s2', NOW + 2000), undefined, 'no session from a used link');
      assert.equal(await sessions.redeemLink('b'.repeat(64), session('s3'), NOW), undefined, 'unknown');
    });

    test('concurrent redemptions of one link: exactly one wins', async () => {
      await store.consoleSessions.insertLink(link(), NOW);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.consoleSessions.redeemLink('a'.repeat(64), session(`s${i}`), NOW + 1),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome !== undefined).length, 1);
    });

    test('an expired link is refused and forgotten; a platform grant keeps tenant null', async () => {
      const sessions = store.consoleSessions;
      await sessions.insertLink(link({ tenantId: null, roles: ['admin', 'audit:write'] }), NOW);
      assert.equal(await sessions.redeemLink('a'.repeat(64), session('s1'), NOW + 600_000), undefined);
      // Stored again with a later expiry, the same hash works: the expired row was removed.
      await sessions.insertLink(link({ tenantId: null, expiresAt: NOW + 1_200_000 }), NOW + 600_000);
      const redeemed = await sessions.redeemLink('a'.repeat(64), session('s1'), NOW + 600_001);
      assert.equal(redeemed?.tenantId, null);
    });

    test('sessions are found until they expire or are deleted; expired ones are removed', async () => {
      const sessions = store.consoleSessions;
      const live: ConsoleSession = { ...session('live'), subject: 'usr_b', tenantId: null, roles: ['admin'] };
      await sessions.insertSession(live, NOW);
      await sessions.insertSession({ ...live, sessionHash: 'short', expiresAt: NOW + 10 }, NOW);
      assert.deepEqual(await sessions.findSession('live', NOW + 5), live);
      assert.equal((await sessions.findSession('short', NOW + 5))?.sessionHash, 'short');
      assert.equal(await sessions.findSession('short', NOW + 10), undefined, 'expired');
      assert.equal(await sessions.deleteSession('live'), true);
      assert.equal(await sessions.findSession('live', NOW + 5), undefined, 'deleted');
      assert.equal(await sessions.deleteSession('live'), false);
      // Storing another session removes the expired one for good: even a clock set back cannot find it.
      await sessions.insertSession({ ...live, sessionHash: 'next' }, NOW + 20);
      assert.equal(await sessions.findSession('short', NOW), undefined);
    });
  });
}
