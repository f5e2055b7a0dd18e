/**
 * Publishing checkpoints to a real temporary CHECKPOINT_DIR: files named by origin and size, never
 * overwritten (the same bytes = already published, other bytes = a fork alarm, raised on every
 * pass), with the log's key.vkey; a note forged in the database is never copied out.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { checkpointPath, publishedHead } from '../../src/integrity/checkpoints/checkpoint-directory.js';
import { CheckpointRefusedError } from '../../src/integrity/checkpoints/checkpoint-signer.js';
import { acme, platform as zeta, PREFIX, publisherOf, signedLogs } from '../helpers/checkpoint-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sealog-publisher-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let directories = 0;
const freshDirectory = () => join(root, `checkpoints-${++directories}`);

/** The files under `directory`, relative, sorted. */
function filesUnder(directory: string, prefix = ''): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesUnder(join(directory, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

test('each checkpoint becomes one file named by origin and size, beside the log’s key.vkey', async () => {
  const logs = signedLogs();
  const directory = freshDirectory();
  const { publisher, alarms, errors } = publisherOf(logs, { directory });
  const notes = [await logs.sign(acme, 300), await logs.sign(acme, 700), await logs.sign(zeta, 5)];
  await publisher.publish();
  assert.deepEqual([alarms, errors], [[], []]);
  const acmeDir = 'sealog.example/test/acme%2B1/operate-log';
  const zetaDir = 'sealog.example/test/~platform/access-log';
  assert.deepEqual(filesUnder(directory), [
    `${acmeDir}/00000000000000000300.checkpoint`,
    `${acmeDir}/00000000000000000700.checkpoint`,
    `${acmeDir}/key.vkey`,
    `${zetaDir}/00000000000000000005.checkpoint`,
    `${zetaDir}/key.vkey`,
  ]);
  const origin = logs.signer.origin(acme);
  assert.equal(
    checkpointPath(directory, origin, 300),
    join(directory, acmeDir, '00000000000000000300.checkpoint'),
  );
  assert.deepEqual(readFileSync(checkpointPath(directory, origin, 300)), Buffer.from(notes[0] ?? ''));
  assert.deepEqual(readFileSync(checkpointPath(directory, origin, 700)), Buffer.from(notes[1] ?? ''));
  assert.equal(
    readFileSync(join(directory, acmeDir, 'key.vkey'), 'utf8'),
    `${logs.signer.verifierKey(acme).verifierKey}\n`,
  );
  assert.deepEqual(await logs.store.unpublished('dir', 10), []);
  assert.deepEqual(await publishedHead(directory, origin), {
    size: 700,
    root: (await logs.store.logState(acme)).root,
  });
  assert.equal(await publishedHead(directory, `${PREFIX}/nobody/operate-log`), undefined);

  // Published again (the outbox lost its flags): same bytes, nothing rewritten.
  const before = statSync(checkpointPath(directory, origin, 300));
  const again = signedLogs();
  await again.sign(acme, 300);
  await publisherOf(again, { directory }).publisher.publish();
  assert.deepEqual(await again.store.unpublished('dir', 10), []);
  assert.equal(statSync(checkpointPath(directory, origin, 300)).mtimeMs, before.mtimeMs);
});

test('a file with other bytes is a fork alarm, never overwritten, raised on every pass', async () => {
  const logs = signedLogs();
  const directory = freshDirectory();
  const origin = logs.signer.origin(acme);
  const forged = `${origin}\n700\n${Buffer.alloc(32, 7).toString('base64')}\n\n— ${origin} AAAA\n`;
  mkdirSync(dirname(checkpointPath(directory, origin, 700)), { recursive: true });
  writeFileSync(checkpointPath(directory, origin, 700), forged);
  await logs.sign(acme, 300);
  await logs.sign(acme, 700);
  await logs.sign(acme, 900);
  const { publisher, alarms, errors } = publisherOf(logs, { directory });
  await publisher.publish();
  await publisher.publish();
  assert.deepEqual(errors, []);
  assert.deepEqual(
    alarms.map((alarm) => [alarm.reason, alarm.target, alarm.size, alarm.log.tenantId]),
    [
      ['fork', 'dir', 700, 'acme+1'],
      ['fork', 'dir', 700, 'acme+1'],
    ],
  );
  assert.match(alarms[0]?.message ?? '', /holds another checkpoint of .* at size 700: a fork/);
  assert.equal(readFileSync(checkpointPath(directory, origin, 700), 'utf8'), forged);
  assert.deepEqual(
    (await logs.store.unpublished('dir', 10)).map((entry) => entry.size),
    [700],
    'the others are published; the fork stays in the outbox',
  );
});

test('another key in key.vkey, and a note forged in the database, are alarms and not published', async () => {
  const logs = signedLogs();
  const directory = freshDirectory();
  const origin = logs.signer.origin(acme);
  mkdirSync(join(directory, ...origin.split('/')), { recursive: true });
  writeFileSync(join(directory, ...origin.split('/'), 'key.vkey'), 'someone+00000000+AQ==\n');
  await logs.sign(acme, 300);
  const zetaNote = await logs.sign(zeta, 10);
  // A checkpoint row inserted by someone who can write to the database but has not the key.
  const latest = await logs.store.latestCheckpoint(zeta);
  const forgedNote = zetaNote.replace('\n10\n', '\n20\n');
  await logs.store.storeCheckpoint(
    zeta,
    { ...(latest as NonNullable<typeof latest>), size: 20, note: forgedNote },
    10,
  );
  const { publisher, alarms } = publisherOf(logs, { directory });
  await publisher.publish();
  assert.deepEqual(
    alarms.map((alarm) => [alarm.reason, alarm.size]),
    [
      ['key-changed', 300],
      ['bad-note', 20],
    ],
  );
  assert.match(alarms[1]?.message ?? '', /does not verify/);
  assert.deepEqual(filesUnder(directory), [
    'sealog.example/test/acme%2B1/operate-log/key.vkey',
    'sealog.example/test/~platform/access-log/00000000000000000010.checkpoint',
    'sealog.example/test/~platform/access-log/key.vkey',
  ]);
});

test('the newest published file anchors the signer: a store rewritten to less is refused', async () => {
  const logs = signedLogs();
  const directory = freshDirectory();
  await logs.sign(acme, 300);
  await logs.sign(acme, 700);
  await publisherOf(logs, { directory }).publisher.publish();
  // The database replaced by an older copy of itself, key file included: only the directory remembers.
  const restored = signedLogs({ publishedHead: (origin) => publishedHead(directory, origin) });
  await restored.grow(acme, 500);
  await assert.rejects(
    restored.signer.signCheckpoint(acme),
    (error: unknown) =>
      error instanceof CheckpointRefusedError && error.reason === 'shrink' && error.anchor === 'published',
  );
  await restored.grow(acme, 900);
  assert.equal((await restored.signer.signCheckpoint(acme)).size, 900, 'growth past it is signed');
});
