import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openEnvelope, RECORD_PART, sealEnvelope } from '../../src/sealing/sealed-envelope.js';
import { SubjectKeyRing, type SubjectKey } from '../../src/sealing/subject-key-ring.js';
import { MemorySubjectKeyStore, randomMasterKeys } from './memory-subject-key-store.js';

const counts = (...subjects: string[]): Map<string, number> => {
  const map = new Map<string, number>();
  for (const subject of subjects) map.set(subject, (map.get(subject) ?? 0) + 1);
  return map;
};
const newRing = (store = new MemorySubjectKeyStore(), options = {}, masterKeys = randomMasterKeys('m1')) => ({
  store,
  masterKeys,
  ring: new SubjectKeyRing(store, masterKeys, options),
});
const keyOf = (keys: ReadonlyMap<string, SubjectKey>, subject: string): SubjectKey => {
  const key = keys.get(subject);
  assert.ok(key, subject);
  return key;
};

test('ring: new subjects get new keys, looked up in one store call, current only once adopted', async () => {
  const { store, ring, masterKeys } = newRing();
  const first = await ring.keysForSealing('t1', counts('alice', 'bob', '', 'alice'));
  assert.deepEqual(store.calls, [{ method: 'findCurrent', tenantId: 't1', values: ['alice', 'bob', ''] }]);
  assert.deepEqual(first.newKeys.map((key) => key.subject).sort(), ['', 'alice', 'bob']);
  for (const stored of first.newKeys) {
    assert.equal(stored.tenant_id, 't1');
    assert.match(stored.key_id, /^[A-Za-z0-9_-]{11}$/);
    assert.equal(stored.master_key_id, 'm1');
    assert.equal(keyOf(first.keys, stored.subject).keyId, stored.key_id);
  }

  // Not adopted (the write has not committed): the next batch looks again and makes other keys.
  const unadopted = await ring.keysForSealing('t1', counts('alice'));
  assert.equal(unadopted.newKeys.length, 1);
  assert.notEqual(keyOf(unadopted.keys, 'alice').keyId, keyOf(first.keys, 'alice').keyId);

  store.insert(first.newKeys);
  ring.adopt(first.newKeys);
  store.calls.length = 0;
  const cached = await ring.keysForSealing('t1', counts('alice', 'bob', ''));
  assert.deepEqual(store.calls, [], 'adopted keys are served from the cache');
  assert.deepEqual(cached.newKeys, []);
  assert.equal(keyOf(cached.keys, 'bob').keyId, keyOf(first.keys, 'bob').keyId);

  // Another process (a fresh ring) finds the stored keys in one call and unwraps them.
  const other = new SubjectKeyRing(store, masterKeys);
  const found = await other.keysForSealing('t1', counts('alice', 'carol'));
  assert.equal(store.calls.length, 1);
  assert.equal(keyOf(found.keys, 'alice').keyId, keyOf(first.keys, 'alice').keyId);
  assert.deepEqual(
    found.newKeys.map((key) => key.subject),
    ['carol'],
  );
});

test('ring: two keys for one subject (two processes racing) both open; a tenant sees only its keys', async () => {
  const store = new MemorySubjectKeyStore();
  const masterKeys = randomMasterKeys('m1');
  const [a, b] = [new SubjectKeyRing(store, masterKeys), new SubjectKeyRing(store, masterKeys)];
  const [sealA, sealB] = await Promise.all([
    a.keysForSealing('t1', counts('alice')),
    b.keysForSealing('t1', counts('alice')),
  ]);
  store.insert([...sealA.newKeys, ...sealB.newKeys]);
  const context = { tenantId: 't1', kind: 'operate-log', recordId: 'op_1', part: RECORD_PART };
  const envelopes = [keyOf(sealA.keys, 'alice'), keyOf(sealB.keys, 'alice')].map((key) =>
    sealEnvelope(key, context, `"sealed with ${key.keyId}"`),
  );

  const reader = new SubjectKeyRing(store, masterKeys);
  const ids = envelopes.map((envelope) => envelope.slice(3, 14));
  const keys = await reader.keysForOpening('t1', ids);
  assert.equal(store.calls.filter((call) => call.method === 'findByIds').length, 1, 'one batched lookup');
  envelopes.forEach((envelope, index) => {
    assert.equal(
      openEnvelope(envelope, keyOf(keys, ids[index] ?? ''), context),
      `"sealed with ${ids[index]}"`,
    );
  });
  assert.equal((await reader.keysForOpening('t2', ids)).size, 0, "another tenant's ids are not its keys");
});

test('ring: a key id without a key (erased subject) is absent, not an error, and not looked up again', async () => {
  const { store, ring } = newRing();
  const { newKeys } = await ring.keysForSealing('t1', counts('alice', 'bob'));
  store.insert(newKeys);
  const aliceIds = store.erase('t1', 'alice');
  ring.forgetKeys('t1', aliceIds);
  ring.forgetSubject('t1', 'alice');
  const bobId = newKeys.find((key) => key.subject === 'bob')?.key_id ?? '';

  store.calls.length = 0;
  const keys = await ring.keysForOpening('t1', [...aliceIds, bobId]);
  assert.deepEqual([...keys.keys()], [bobId]);
  assert.deepEqual(store.calls, [{ method: 'findByIds', tenantId: 't1', values: aliceIds }]);
  assert.equal((await ring.keysForOpening('t1', aliceIds)).size, 0);
  assert.equal(store.calls.length, 1, 'the absence is remembered');

  const resealed = await ring.keysForSealing('t1', counts('alice'));
  assert.equal(resealed.newKeys.length, 1, 'an erased subject seals under a new key');
  assert.ok(!aliceIds.includes(resealed.newKeys[0]?.key_id ?? ''));
});

test('ring: a subject moves to a fresh key once its key reaches the encryption bound', async () => {
  const { store, ring } = newRing(undefined, { rotateAfter: 5 });
  const first = await ring.keysForSealing('t1', new Map([['alice', 3]]));
  store.insert(first.newKeys);
  ring.adopt(first.newKeys);
  const second = await ring.keysForSealing('t1', new Map([['alice', 2]]));
  assert.deepEqual(second.newKeys, [], '3 + 2 encryptions: still within the bound');
  const third = await ring.keysForSealing('t1', new Map([['alice', 1]]));
  assert.equal(third.newKeys.length, 1, 'the sixth encryption gets a new key');
  const rotated = keyOf(third.keys, 'alice').keyId;
  assert.notEqual(rotated, keyOf(first.keys, 'alice').keyId);
  store.insert(third.newKeys);
  ring.adopt(third.newKeys);
  const fourth = await ring.keysForSealing('t1', new Map([['alice', 4]]));
  assert.equal(keyOf(fourth.keys, 'alice').keyId, rotated, 'the new key counts from what it sealed');
  assert.deepEqual(fourth.newKeys, []);
  // A batch larger than the bound still gets one (fresh) key rather than none.
  const huge = await ring.keysForSealing('t1', new Map([['bob', 50]]));
  assert.equal(huge.newKeys.length, 1);
});

test('ring: a cache bounded to a few keys still serves every lookup (from the store)', async () => {
  const { store, ring } = newRing(undefined, { maxKeys: 2 });
  const subjects = ['a', 'b', 'c', 'd'];
  const { keys, newKeys } = await ring.keysForSealing('t1', counts(...subjects));
  store.insert(newKeys);
  ring.adopt(newKeys);
  const opened = await ring.keysForOpening(
    't1',
    newKeys.map((key) => key.key_id),
  );
  assert.equal(opened.size, 4);
  for (const subject of subjects) {
    assert.deepEqual(
      keyOf(opened, keyOf(keys, subject).keyId).key.export(),
      keyOf(keys, subject).key.export(),
    );
  }
});
