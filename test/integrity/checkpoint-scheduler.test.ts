/**
 * The checkpoint scheduler, with its timer in the test's hands: a run signs each log whose tree
 * moved and publishes; logs that did not move are not even asked about; failures and refusals go
 * to onError, one log's never stopping the others; signNow signs on demand; stop() disarms the
 * timer and waits for the run in flight. No test waits on a clock.
 */
import assert from 'node:assert/strict';
import { existsSync as exists, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkpointPath } from '../../src/integrity/checkpoints/checkpoint-directory.js';
import {
  CheckpointScheduler,
  type CheckpointSchedulerOptions,
} from '../../src/integrity/checkpoints/checkpoint-scheduler.js';
import {
  CheckpointRefusedError,
  type SignedCheckpoint,
} from '../../src/integrity/checkpoints/checkpoint-signer.js';
import type { LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { acme, manualTime, platform, publisherOf, signedLogs } from '../helpers/checkpoint-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';

const beta: LogId = { tenantId: 'beta', kind: 'communication-log' };
const root = mkdtempSync(join(tmpdir(), 'sealog-scheduler-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let directories = 0;
const freshDirectory = () => join(root, `checkpoints-${++directories}`);

/** A scheduler over signed logs publishing to a fresh directory, counting the signer's calls. */
function schedulerOf(options: Partial<CheckpointSchedulerOptions> = {}) {
  const logs = signedLogs();
  const directory = freshDirectory();
  const { publisher, alarms } = publisherOf(logs, { directory });
  const asked: string[] = [];
  const errors: { error: Error; log: LogId | undefined }[] = [];
  const signed: number[] = [];
  const clock = manualTime();
  const scheduler = new CheckpointScheduler({
    store: logs.store,
    signer: {
      signCheckpoint: (log) => {
        asked.push(log.kind);
        return logs.signer.signCheckpoint(log);
      },
    },
    publisher,
    onError: (error, log) => errors.push({ error, log }),
    onSigned: (checkpoint) => signed.push(checkpoint.size),
    schedule: clock.schedule,
    ...options,
  });
  const file = (log: LogId, size: number) => checkpointPath(directory, logs.signer.origin(log), size);
  return { logs, scheduler, asked, errors, signed, alarms, clock, file };
}

test('a run signs each log that grew, then publishes; logs that did not are not asked about', async () => {
  const { logs, scheduler, asked, errors, signed, alarms, file } = schedulerOf();
  await logs.grow(acme, 300);
  await logs.grow(platform, 10);
  await logs.grow(beta, 1);
  assert.deepEqual(await scheduler.runNow(), { signed: 3, unchanged: 0, failed: 0 });
  assert.deepEqual(signed, [10, 300, 1], 'by tenant, then kind');
  assert.ok(exists(file(acme, 300)) && exists(file(platform, 10)) && exists(file(beta, 1)), 'published');
  asked.length = 0;
  assert.deepEqual(await scheduler.runNow(), { signed: 0, unchanged: 0, failed: 0 });
  assert.deepEqual(asked, []);
  await logs.grow(beta, 700);
  assert.deepEqual(await scheduler.runNow(), { signed: 1, unchanged: 0, failed: 0 });
  assert.deepEqual(asked, ['communication-log']);
  assert.ok(exists(file(beta, 700)));
  // Signed elsewhere meanwhile (another process's POST): asked, answered unchanged.
  await logs.grow(acme, 400);
  await logs.signer.signCheckpoint(acme);
  assert.deepEqual(await scheduler.runNow(), { signed: 0, unchanged: 1, failed: 0 });
  assert.deepEqual([errors, alarms], [[], []]);
  await scheduler.stop();
});

test('the timer runs every interval after the previous run, and stop() disarms it', async () => {
  const { logs, scheduler, clock, signed } = schedulerOf();
  scheduler.start();
  scheduler.start();
  assert.deepEqual(
    clock.time.timers.map((timer) => timer.delayMs),
    [60_000],
  );
  await logs.grow(acme, 5);
  clock.fire();
  await scheduler.runNow(); // joins the run the timer started
  assert.deepEqual(signed, [5]);
  await waitFor('the next run armed', () => clock.time.timers.length === 1);
  assert.deepEqual(
    clock.time.timers.map((timer) => timer.delayMs),
    [60_000],
  );
  await scheduler.stop();
  assert.deepEqual(clock.time.timers, []);
  assert.deepEqual(await scheduler.runNow(), { signed: 0, unchanged: 0, failed: 0 }, 'stopped');
  assert.throws(() => new CheckpointScheduler({ ...schedulerOptions(), intervalMs: 0 }), RangeError);
});

function schedulerOptions(): CheckpointSchedulerOptions {
  const logs = signedLogs();
  return { store: logs.store, signer: logs.signer, onError: () => undefined };
}

test('stop() waits for the run in flight', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached = false;
  const logs = signedLogs();
  await logs.grow(acme, 3);
  const scheduler = new CheckpointScheduler({
    store: logs.store,
    signer: {
      signCheckpoint: async (log) => {
        reached = true;
        await gate;
        return logs.signer.signCheckpoint(log);
      },
    },
    onError: () => undefined,
  });
  const run = scheduler.runNow();
  await waitFor('the run to reach the signer', () => reached);
  let stopped = false;
  const stopping = scheduler.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false);
  release();
  await stopping;
  assert.deepEqual(await run, { signed: 1, unchanged: 0, failed: 0 });
});

test('failures and refusals go to onError, log by log, and the other logs are still signed', async () => {
  const refusal = new CheckpointRefusedError(
    acme,
    'o/acme/operate-log',
    'shrink',
    'stored',
    'the log would shrink',
  );
  const logs = signedLogs();
  const errors: { error: Error; log: LogId | undefined }[] = [];
  const real = logs.signer;
  await logs.grow(acme, 10);
  await logs.grow(platform, 10);
  const failing = new CheckpointScheduler({
    store: logs.store,
    signer: {
      signCheckpoint: (log): Promise<SignedCheckpoint> =>
        log.kind === acme.kind ? Promise.reject(refusal) : real.signCheckpoint(log),
    },
    onError: (error, log) => errors.push({ error, log }),
  });
  for (let run = 0; run < 2; run++) {
    assert.deepEqual(await failing.runNow(), { signed: 1 - run, unchanged: 0, failed: 1 });
  }
  assert.deepEqual(
    errors.map(({ error, log }) => [error, log]),
    [
      [refusal, acme],
      [refusal, acme],
    ],
    'a refusal is raised on every run, not skipped',
  );
  // A store that cannot list its logs: reported, and the run ends normally.
  errors.length = 0;
  const broken = new CheckpointScheduler({
    store: {
      logStates: () => Promise.reject(new Error('database down')),
      latestCheckpoint: () => Promise.resolve(undefined),
    },
    signer: real,
    onError: (error, log) => errors.push({ error, log }),
  });
  assert.deepEqual(await broken.runNow(), { signed: 0, unchanged: 0, failed: 0 });
  assert.deepEqual(
    errors.map(({ error }) => error.message),
    ['database down'],
  );
  await Promise.all([failing.stop(), broken.stop()]);
});

test('a tree smaller than its latest checkpoint is handed to the signer, not skipped', async () => {
  const logs = signedLogs();
  await logs.sign(acme, 50);
  const asked: number[] = [];
  const scheduler = new CheckpointScheduler({
    store: {
      logStates: async () => (await logs.store.logStates()).map((state) => ({ ...state, treeSize: 40 })),
      latestCheckpoint: (log) => logs.store.latestCheckpoint(log),
    },
    signer: {
      signCheckpoint: (log) => {
        asked.push(1);
        return logs.signer.signCheckpoint(log);
      },
    },
    onError: () => undefined,
  });
  await scheduler.runNow();
  await scheduler.runNow();
  assert.equal(asked.length, 2);
});

test('signNow signs on demand and publishes in the background; its refusals reject', async () => {
  const { logs, scheduler, errors, signed, file } = schedulerOf();
  await logs.grow(acme, 20);
  const first = await scheduler.signNow(acme);
  assert.deepEqual([first.created, first.size], [true, 20]);
  assert.equal((await scheduler.signNow(acme)).created, false);
  assert.deepEqual(signed, [20]);
  await waitFor('the checkpoint published', () => exists(file(acme, 20)));
  assert.deepEqual(await scheduler.runNow(), { signed: 0, unchanged: 0, failed: 0 }, 'known as signed');
  const refusing = new CheckpointScheduler({
    store: logs.store,
    signer: { signCheckpoint: () => Promise.reject(new Error('refused')) },
    onError: (error, log) => errors.push({ error, log }),
  });
  await assert.rejects(refusing.signNow(acme), /refused/);
  assert.deepEqual(errors, [], 'the caller answers it');
  await Promise.all([scheduler.stop(), refusing.stop()]);
});

test('with the default timer, runs happen on their own and never keep the process alive', async () => {
  const logs = signedLogs();
  await logs.grow(acme, 7);
  const scheduler = new CheckpointScheduler({
    store: logs.store,
    signer: logs.signer,
    intervalMs: 1,
    onError: () => undefined,
  });
  scheduler.start();
  await waitFor(
    'a checkpoint signed by the timer',
    async () => (await logs.store.latestCheckpoint(acme))?.size === 7,
  );
  await scheduler.stop();
});
