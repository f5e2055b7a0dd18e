/**
 * Fixtures of the checkpoint tests: logs grown and signed in a memory store with its outbox, a
 * publisher collecting its alarms and errors, and a clock and timer moved by hand.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { MemoryOutboxIntegrityStore } from '../../src/integrity/checkpoints/checkpoint-outbox.js';
import {
  CheckpointPublisher,
  type CheckpointPublishAlarm,
  type CheckpointPublisherOptions,
} from '../../src/integrity/checkpoints/checkpoint-publisher.js';
import {
  CheckpointSigner,
  type CheckpointSignerOptions,
} from '../../src/integrity/checkpoints/checkpoint-signer.js';
import { leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import type { LogId } from '../../src/integrity/sequencing/integrity-store.js';
import { TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';

/** The origin prefix of the fixtures' logs. */
export const PREFIX = 'sealog.example/test';
/** A tenant's log (its origin's tenant segment is `acme%2B1`) and the platform's access log. */
export const acme: LogId = { tenantId: 'acme+1', kind: 'operate-log' };
export const platform: LogId = { tenantId: '', kind: 'access-log' };
const { privateKey } = generateKeyPairSync('ed25519');
const leaves = Array.from({ length: 1_000 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));

/**
 * A store with its outbox, a signer over it, grow(log, size) (appends leaves up to `size`, at
 * most 1,000) and sign(log, size) (grows, then signs and returns the new note). Logs are told
 * apart by kind.
 */
export function signedLogs(options: Partial<CheckpointSignerOptions> = {}) {
  const store = new MemoryOutboxIntegrityStore();
  const signer = new CheckpointSigner({ store, privateKey, originPrefix: PREFIX, ...options });
  const appenders = new Map<string, TreeAppender>();
  const grow = async (log: LogId, size: number): Promise<void> => {
    const appender = appenders.get(log.kind) ?? TreeAppender.empty();
    store.assignLeaves(log, size - appender.size);
    const { update, next } = appender.append(leaves.slice(appender.size, size));
    assert.equal(await store.appendTree(log, update), true);
    appenders.set(log.kind, next);
  };
  const sign = async (log: LogId, size: number): Promise<string> => {
    await grow(log, size);
    const { note, created } = await signer.signCheckpoint(log);
    assert.equal(created, true);
    return note;
  };
  return { store, signer, grow, sign };
}

/** A publisher of `logs`' outbox, with the alarms and errors it reported. */
export function publisherOf(
  logs: ReturnType<typeof signedLogs>,
  options: Partial<CheckpointPublisherOptions> = {},
) {
  const alarms: CheckpointPublishAlarm[] = [];
  const errors: Error[] = [];
  const publisher = new CheckpointPublisher({
    outbox: logs.store,
    verifierKey: (log) => logs.signer.verifierKey(log).verifierKey,
    onAlarm: (alarm) => alarms.push(alarm),
    onError: (error) => errors.push(error),
    ...options,
  });
  return { publisher, alarms, errors };
}

/** A clock and a timer the test moves by hand: fire() runs the oldest timer, moving the clock to it. */
export function manualTime() {
  const time = { now: 1_000_000, timers: [] as { callback: () => void; delayMs: number }[] };
  const schedule = (callback: () => void, delayMs: number) => {
    const timer = { callback, delayMs };
    time.timers.push(timer);
    return () => {
      time.timers = time.timers.filter((other) => other !== timer);
    };
  };
  const fire = () => {
    const timer = time.timers.shift();
    assert.ok(timer !== undefined, 'a retry is scheduled');
    time.now += timer.delayMs;
    timer.callback();
    return timer.delayMs;
  };
  return { time, schedule, fire, now: () => time.now };
}
