import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  envelopeKeyId,
  openEnvelope,
  RECORD_PART,
  SealedFieldError,
  sealEnvelope,
  type SealContext,
  type SealingKey,
} from '../../src/sealing/sealed-envelope.js';

const newKey = (): SealingKey => ({
  keyId: randomBytes(8).toString('base64url'),
  key: createSecretKey(randomBytes(32)),
});
const CONTEXT: SealContext = { tenantId: 't1', kind: 'operate-log', recordId: 'op_1', part: RECORD_PART };

function assertFails(failure: 'format' | 'authentication', open: () => unknown): void {
  assert.throws(open, (error: unknown) => error instanceof SealedFieldError && error.failure === failure);
}

test('envelope: s1.<11-char key id>.<base64url> round trip of any text, unique per seal', () => {
  const key = newKey();
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
      // Callers seal JSON text, which escapes lone surrogates, so every string survives.
      const plaintext = JSON.stringify([value, value.length]);
      const envelope = sealEnvelope(key, CONTEXT, plaintext);
      assert.match(envelope, /^s1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]+$/);
      assert.equal(envelopeKeyId(envelope), key.keyId);
      assert.equal(openEnvelope(envelope, key, CONTEXT), plaintext);
    }),
  );
  // 2,000 seals draw the 512-nonce pool down almost four times; the nonce leads the body.
  const nonces = Array.from({ length: 2000 }, () => {
    const envelope = sealEnvelope(key, CONTEXT, '');
    return Buffer.from(envelope.slice(15), 'base64url').subarray(0, 12).toString('hex');
  });
  assert.equal(new Set(nonces).size, nonces.length);
  assert.equal(sealEnvelope(key, CONTEXT, '').length, 15 + 38, 'empty plaintext: nonce and tag only');
});

test('envelope: moved to another record, kind, tenant or column, it fails authentication', () => {
  const key = newKey();
  const envelope = sealEnvelope(key, CONTEXT, '["alice"]');
  for (const moved of [
    { ...CONTEXT, recordId: 'op_2' },
    { ...CONTEXT, kind: 'access-log' },
    { ...CONTEXT, tenantId: 't2' },
    { ...CONTEXT, part: 'error' },
    // The associated data is a JSON array, so shifting text between fields changes it too.
    { ...CONTEXT, tenantId: 't1", "operate-log', kind: '' },
  ]) {
    assertFails('authentication', () => openEnvelope(envelope, key, moved));
  }
  assertFails('format', () => openEnvelope(envelope, newKey(), CONTEXT));
  const sameIdOtherKey = { keyId: key.keyId, key: createSecretKey(randomBytes(32)) };
  assertFails('authentication', () => openEnvelope(envelope, sameIdOtherKey, CONTEXT));
});

test('envelope: any changed character of the body fails; malformed text is a format error', () => {
  const key = newKey();
  const envelope = sealEnvelope(key, CONTEXT, '["alice","alice@example.com"]');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let index = 15; index < envelope.length; index += 1) {
    const original = envelope.charAt(index);
    for (const replacement of [alphabet.charAt((alphabet.indexOf(original) + 1) % 64), '+', '=']) {
      const tampered = envelope.slice(0, index) + replacement + envelope.slice(index + 1);
      assert.throws(() => openEnvelope(tampered, key, CONTEXT), SealedFieldError, `character ${index}`);
    }
  }
  for (const malformed of [
    '',
    'alice',
    `s2.${key.keyId}.${envelope.slice(15)}`,
    `s1.${key.keyId}${envelope.slice(15)}`,
    `s1.${key.keyId}.`,
    `s1.${key.keyId}.${envelope.slice(15, 40)}`,
    `${envelope}A`,
    envelope.slice(0, -1),
  ]) {
    assert.throws(() => openEnvelope(malformed, key, CONTEXT), SealedFieldError, malformed);
  }
  assertFails('format', () => envelopeKeyId('s1.short.abc'));
});
