/**
 * Log origins: `<prefix>/<tenant>/<kind>` with the tenant percent-encoded, usable as a signed-note
 * key name whatever the tenant id, parsed back to exactly the log they name, and nothing else.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  checkOriginPrefix,
  logOrigin,
  parseLogOrigin,
  PLATFORM_TENANT_SEGMENT,
  tenantSegment,
} from '../../src/integrity/checkpoints/log-origin.js';
import { noteSigner } from '../../src/integrity/checkpoints/signed-note.js';

const PREFIX = 'sealog.invalid/0123456789abcdef';

test('tenants are percent-encoded outside [A-Za-z0-9._-]; the platform’s is ~platform', () => {
  const cases: [string, string][] = [
    ['acme', 'acme'],
    ['Acme_2.eu-west', 'Acme_2.eu-west'],
    ['a+b', 'a%2Bb'],
    ['~platform', '%7Eplatform'],
    ['~', '%7E'],
    ['a b/c%d', 'a%20b%2Fc%25d'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['..', '%2E.'],
    ['.hidden', '%2Ehidden'],
    ['\uFEFFbom', '%EF%BB%BFbom'],
    ['', PLATFORM_TENANT_SEGMENT],
  ];
  for (const [tenantId, segment] of cases) {
    assert.equal(tenantSegment(tenantId), segment, tenantId);
    const origin = logOrigin(PREFIX, { tenantId, kind: 'access-log' });
    assert.equal(origin, `${PREFIX}/${segment}/access-log`);
    assert.deepEqual(parseLogOrigin(origin), { prefix: PREFIX, tenantId, kind: 'access-log' });
  }
  assert.throws(() => tenantSegment('\uD800x'), /lone surrogate/);
});

test('every tenant id round-trips and gives a valid signed-note key name', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })),
      fc.constantFrom('access-log', 'communication-log', 'operate-log'),
      (tenantId, kind) => {
        const origin = logOrigin(PREFIX, { tenantId, kind });
        assert.deepEqual(parseLogOrigin(origin), { prefix: PREFIX, tenantId, kind });
        assert.match(
          origin.split('/').at(-2) ?? '',
          /^(?:(?!\.)(?:[A-Za-z0-9._-]|%[0-9A-F]{2})+|~platform)$/,
        );
        assert.equal(noteSigner(origin, privateKey).name, origin);
      },
    ),
    { numRuns: 500 },
  );
});

test('prefixes: non-empty, at most 200 characters, no space, `+`, control character or empty/dot segment', () => {
  for (const good of ['sealog.invalid/0123456789abcdef', 'example.com', 'a'.repeat(200), 'log.example/ü/x']) {
    assert.equal(checkOriginPrefix(good), good);
  }
  const bad = [
    '',
    'a'.repeat(201),
    'a b',
    'a\tb',
    'a\u00A0b',
    'a+b',
    'a\nb',
    'a\u0007b',
    '/a',
    'a/',
    'a//b',
    'a/../b',
    'a/.',
    'x\uDC00',
  ];
  for (const prefix of bad) {
    assert.throws(() => checkOriginPrefix(prefix), /not an origin prefix/, JSON.stringify(prefix));
    assert.throws(() => logOrigin(prefix, { tenantId: 't', kind: 'access-log' }), /not an origin prefix/);
  }
  assert.throws(() => logOrigin(PREFIX, { tenantId: 't', kind: 'Access log' }), /not a log kind/);
  assert.throws(() => logOrigin(PREFIX, { tenantId: 't', kind: '' }), /not a log kind/);
});

test('parsing refuses what logOrigin never writes', () => {
  const bad = [
    'acme/access-log',
    'access-log',
    `${PREFIX}/a+b/access-log`,
    `${PREFIX}/a%2bb/access-log`,
    `${PREFIX}/%41cme/access-log`,
    `${PREFIX}/~x/access-log`,
    `${PREFIX}/~/access-log`,
    `${PREFIX}/.x/access-log`,
    `${PREFIX}/%FF/access-log`,
    `${PREFIX}/%C3/access-log`,
    `${PREFIX}/a%/access-log`,
    `${PREFIX}//access-log`,
    `${PREFIX}/acme/Access-Log`,
    `${PREFIX}/acme/`,
    `a b/acme/access-log`,
  ];
  for (const origin of bad) assert.throws(() => parseLogOrigin(origin), Error, origin);
  assert.deepEqual(parseLogOrigin('x/~platform/access-log'), {
    prefix: 'x',
    tenantId: '',
    kind: 'access-log',
  });
});
