import assert from 'node:assert/strict';
import { generateKeySync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import {
  GENERATED_DATA_KEYS_FILE,
  loadMasterKeys,
  parseMasterKeys,
  WrappedKeyError,
} from '../../src/sealing/master-keys.js';

const directory = mkdtempSync(join(tmpdir(), 'sealog-master-keys-'));
after(() => {
  rmSync(directory, { recursive: true, force: true });
});

const material = () => randomBytes(32).toString('base64');
const OWNER = { tenantId: 't1', subject: 'user-1', keyId: 'AAAAAAAAAAA' };
const subjectKey = () => generateKeySync('aes', { length: 256 });

test('master keys: the first wraps, every configured key unwraps (rotation)', () => {
  const oldText = `old:${material()}`;
  const old = parseMasterKeys(oldText, 'test');
  const key = subjectKey();
  const wrappedByOld = old.wrap(OWNER, key);
  assert.equal(wrappedByOld.master_key_id, 'old');
  assert.equal(Buffer.from(wrappedByOld.wrapped, 'base64').length, 12 + 32 + 16);

  const rotated = parseMasterKeys(`new:${material()}, ${oldText}`, 'test');
  assert.deepEqual(rotated.ids, ['new', 'old']);
  assert.equal(rotated.wrappingKeyId, 'new');
  assert.deepEqual(rotated.unwrap(OWNER, wrappedByOld).export(), key.export(), 'an old key still unwraps');
  const wrappedByNew = rotated.wrap(OWNER, key);
  assert.equal(wrappedByNew.master_key_id, 'new', 'new keys are wrapped with the first');
  assert.deepEqual(rotated.unwrap(OWNER, wrappedByNew).export(), key.export());

  assert.throws(
    () => old.unwrap(OWNER, wrappedByNew),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === 'DATA_KEY' &&
      error.message.includes('set DATA_KEY to include key new'),
  );
});

test('master keys: preferring another key makes it the wrapping one, the same keys otherwise', () => {
  const keys = parseMasterKeys(`new:${material()}, old:${material()}`, 'test', '/data/data-keys');
  const preferred = keys.preferring('old');
  assert.deepEqual(preferred.ids, ['old', 'new']);
  assert.equal(preferred.wrappingKeyId, 'old');
  assert.equal(preferred.generatedFile, '/data/data-keys');
  for (const id of keys.ids) assert.equal(preferred.fingerprint(id), keys.fingerprint(id));
  const key = subjectKey();
  const wrapped = preferred.wrap(OWNER, key);
  assert.equal(wrapped.master_key_id, 'old');
  assert.deepEqual(keys.unwrap(OWNER, wrapped).export(), key.export());
  assert.throws(() => keys.preferring('other'), RangeError);
});

test('master keys: a wrapped key moved to another tenant, subject or key id, or altered, does not unwrap', () => {
  const keys = parseMasterKeys(`k1:${material()}`, 'test');
  const wrapped = keys.wrap(OWNER, subjectKey());
  for (const owner of [
    { ...OWNER, tenantId: 't2' },
    { ...OWNER, subject: 'user-2' },
    { ...OWNER, keyId: 'BBBBBBBBBBB' },
  ]) {
    assert.throws(() => keys.unwrap(owner, wrapped), WrappedKeyError);
  }
  const bytes = Buffer.from(wrapped.wrapped, 'base64');
  bytes[20] = (bytes[20] ?? 0) ^ 1;
  assert.throws(() => keys.unwrap(OWNER, { ...wrapped, wrapped: bytes.toString('base64') }), WrappedKeyError);
  assert.throws(() => keys.unwrap(OWNER, { ...wrapped, wrapped: 'AAAA' }), WrappedKeyError);
  const sameIdOtherKey = parseMasterKeys(`k1:${material()}`, 'test');
  assert.throws(() => sameIdOtherKey.unwrap(OWNER, wrapped), /different key under that id/);
});

test('master keys: DATA_KEY syntax errors name the problem, never the key', () => {
  const secret = material();
  for (const [text, problem] of [
    ['', /holds no key/],
    [`k1:${secret.slice(4)}`, /key 1 must be id:base64 of 32 bytes/],
    [`k1:${randomBytes(16).toString('base64')}`, /key 1 must be/],
    [`k1:${secret},bad id:${secret}`, /key 2 must be/],
    [`${'x'.repeat(33)}:${secret}`, /key 1 must be/],
    [`k1:${secret},k1:${material()}`, /names key k1 twice/],
  ] as const) {
    assert.throws(
      () => parseMasterKeys(text, 'value'),
      (error: unknown) =>
        error instanceof ConfigError && problem.test(error.message) && !error.message.includes(secret),
      text,
    );
  }
});

test('master keys: DATA_KEY as a value, as a file, and generated in the data directory (0600, reused)', () => {
  const text = `a:${material()},b:${material()}`;
  assert.deepEqual(loadMasterKeys(text, directory).ids, ['a', 'b']);

  const file = join(directory, 'configured-keys');
  writeFileSync(file, `${text.replace(',', '\n')}\n`);
  assert.deepEqual(loadMasterKeys(file, directory).ids, ['a', 'b']);
  assert.throws(() => loadMasterKeys(join(directory, 'missing'), directory), /cannot be read \(ENOENT\)/);

  const dataDir = join(directory, 'data');
  const generated = loadMasterKeys(undefined, dataDir);
  const generatedFile = join(dataDir, GENERATED_DATA_KEYS_FILE);
  assert.equal(generated.generatedFile, generatedFile);
  assert.equal(statSync(generatedFile).mode & 0o777, 0o600);
  assert.match(generated.wrappingKeyId, /^gen-[0-9a-f]{12}$/);
  assert.deepEqual(readdirSync(dataDir), [GENERATED_DATA_KEYS_FILE], 'no temporary file left behind');
  const before = readFileSync(generatedFile, 'utf8');

  const again = loadMasterKeys('', dataDir);
  assert.deepEqual(again.ids, generated.ids);
  assert.equal(readFileSync(generatedFile, 'utf8'), before, 'the file is read, not replaced');
  const wrapped = generated.wrap(OWNER, subjectKey());
  assert.doesNotThrow(() => again.unwrap(OWNER, wrapped), 'the second load holds the same key');
});
