import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { Value } from 'typebox/value';
import { InvalidInputError } from '../../src/domain/errors.js';
import {
  DeliveryError,
  type DeliveryBatch,
  type StreamEvent,
} from '../../src/streams/destinations/destination.js';
import { eventJson } from '../../src/streams/destinations/event-json.js';
import {
  createWebhookDestination,
  WebhookDestinationSchema,
  webhookId,
  type WebhookDestinationConfig,
} from '../../src/streams/destinations/webhook-destination.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** A Standard Webhooks secret of `bytes` random bytes. */
function secret(bytes = 32): string {
  return `whsec_${randomBytes(bytes).toString('base64')}`;
}

function event(leaf: number, kind = 'communication-log'): StreamEvent {
  return {
    id: `t1/${kind}/${leaf}`,
    kind,
    tenant_id: 't1',
    leaf_index: leaf,
    record_id: `rec_${leaf}`,
    transition: 0,
    time: Date.UTC(2026, 4, 15, 8, 30, 0, leaf),
    record: { tenant_id: 't1', id: `rec_${leaf}`, status: 'sent' },
  };
}

function batch(...leaves: number[]): DeliveryBatch {
  return { id: `t1-communication-log-${leaves.join('-')}`, events: leaves.map((leaf) => event(leaf)) };
}

const live = new AbortController().signal;

/** The DeliveryError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DeliveryError, `not a DeliveryError: ${String(error)}`);
    return error;
  }
  assert.fail('delivered');
}

describe('webhook destination', () => {
  const key = secret();
  let receiver: WebhookReceiver;
  const config = (extra: Partial<WebhookDestinationConfig> = {}): WebhookDestinationConfig => ({
    type: 'webhook',
    url: receiver.url,
    secrets: [key],
    ...extra,
  });

  before(async () => {
    receiver = await WebhookReceiver.start(key);
  });
  after(async () => {
    await receiver.close();
  });

  test('POSTs a batch that the standardwebhooks package verifies, in the spec’s payload structure', async () => {
    const destination = createWebhookDestination(config({ headers: { 'x-tenant': 'acme' } }));
    const sent = batch(0, 1, 2);
    const before = Math.floor(Date.now() / 1000);
    const delivered = await destination.deliver(sent, live);
    const got = receiver.batches.at(-1);
    assert.ok(got !== undefined);
    assert.equal(got.id, sent.id);
    assert.ok(Number.isInteger(got.timestamp) && got.timestamp >= before);
    assert.deepEqual(got.payload, {
      type: 'sealog.events',
      timestamp: '2026-05-15T08:30:00.002Z',
      data: { events: sent.events.map((e) => JSON.parse(JSON.stringify(eventJson(e))) as unknown) },
    });
    assert.equal(got.request.headers['content-type'], 'application/json');
    assert.equal(got.request.headers['x-tenant'], 'acme');
    assert.match(got.request.headers['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.equal(delivered.bytes, Buffer.byteLength(got.request.body));
    assert.deepEqual(
      receiver.events.slice(-3).map((e) => e.leaf_index),
      [0, 1, 2],
    );
  });

  test('signs with every secret during a rotation: a receiver knowing only the new or only the old verifies', async () => {
    const old = secret(24);
    const fresh = secret(64);
    const knowsOld = await WebhookReceiver.start(old);
    const knowsNew = await WebhookReceiver.start(fresh);
    try {
      for (const target of [knowsOld, knowsNew]) {
        const destination = createWebhookDestination({
          type: 'webhook',
          url: target.url,
          secrets: [old, fresh],
        });
        await destination.deliver(batch(7), live);
        await target.waitForEvents(1);
        assert.equal(target.rejections.length, 0);
        assert.equal(target.requests[0]?.headers['webhook-signature']?.split(' ').length, 2);
      }
    } finally {
      await knowsOld.close();
      await knowsNew.close();
    }
  });

  test('a wrong secret or a tampered body fails verification at the receiver', async () => {
    const stranger = createWebhookDestination(config({ secrets: [secret()] }));
    const wrongSecret = await failure(stranger.deliver(batch(3), live));
    assert.equal(wrongSecret.retryable, false);
    assert.equal(wrongSecret.status, 401);
    assert.match(wrongSecret.message, /configuration error.*401/);
    assert.match(receiver.rejections.at(-1) ?? '', /signature/i);

    receiver.tamper = (body) => body.replace('"sent"', '"failed"');
    try {
      await failure(createWebhookDestination(config()).deliver(batch(4), live));
    } finally {
      receiver.tamper = undefined;
    }
    assert.equal(receiver.rejections.length, 2);

    // The same proof without the network: the delivered request, altered by one byte, fails.
    const good = receiver.batches.at(-1)?.request;
    assert.ok(good !== undefined);
    const verifier = new Webhook(key);
    assert.doesNotThrow(() => verifier.verify(good.body, good.headers));
    assert.throws(() => verifier.verify(good.body.replace('rec_', 'rex_'), good.headers), /signature/i);
    assert.throws(() => verifier.verify(good.body, { ...good.headers, 'webhook-id': 'other' }), /signature/i);
  });

  test('408, 429 and 5xx are retryable, with the status, a bounded excerpt without secrets, and Retry-After', async () => {
    const destination = createWebhookDestination(
      config({ headers: { authorization: 'Bearer gateway-token' } }),
    );
    for (const status of [408, 429, 500, 502, 503, 504]) {
      receiver.failNext(1, { status, body: `busy ${'x'.repeat(500)}` });
      const error = await failure(destination.deliver(batch(5), live));
      assert.equal(error.retryable, true);
      assert.equal(error.status, status);
      assert.match(error.message, new RegExp(`answered ${status}\\b`));
      assert.ok(error.message.length < 320, error.message);
    }
    receiver.failNext(1, {
      status: 429,
      headers: { 'retry-after': '7' },
      body: `slow down, ${key} gateway-token`,
    });
    const limited = await failure(destination.deliver(batch(5), live));
    assert.equal(limited.retryAfterMs, 7000);
    assert.ok(!limited.message.includes(key) && !limited.message.includes('gateway-token'), limited.message);
    assert.match(limited.message, /\[redacted\]/);
  });

  test('400, 401, 404 and 410 are configuration errors naming the status and what the receiver said', async () => {
    const destination = createWebhookDestination(config());
    for (const status of [400, 401, 404, 410]) {
      receiver.failNext(1, { status, body: `no such hook (${status})` });
      const error = await failure(destination.deliver(batch(6), live));
      assert.equal(error.retryable, false);
      assert.equal(error.status, status);
      assert.match(error.message, new RegExp(`^configuration error: .*answered ${status} .*no such hook`));
    }
  });

  test('a redirect is not followed: the signed request never reaches the other host', async () => {
    const elsewhere = await WebhookReceiver.start(key);
    try {
      receiver.failNext(1, { status: 307, headers: { location: `${elsewhere.url}?token=abc` } });
      const error = await failure(createWebhookDestination(config()).deliver(batch(8), live));
      assert.equal(error.retryable, false);
      assert.equal(error.status, 307);
      assert.match(error.message, /redirects are not followed/);
      assert.ok(!error.message.includes('token=abc'));
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  test('a receiver that never answers: the timeout aborts the request, and the error is retryable', async () => {
    const silent = await WebhookReceiver.start(key);
    silent.hang();
    try {
      const destination = createWebhookDestination({
        type: 'webhook',
        url: silent.url,
        secrets: [key],
        timeout_ms: 100,
      });
      const error = await failure(destination.deliver(batch(9), live));
      assert.equal(error.retryable, true);
      assert.match(error.message, /did not answer within 100 ms/);
      // Whether the timeout caught the request connecting, sending or waiting, none is left open.
      await silent.waitForSettled();
      assert.ok(silent.requests.every((request) => request.status === undefined));
    } finally {
      await silent.close();
    }
  });

  test("the deliverer's signal aborts a delivery in flight, retryably", async () => {
    const silent = await WebhookReceiver.start(key);
    silent.hang();
    try {
      const stop = new AbortController();
      const delivery = createWebhookDestination({ type: 'webhook', url: silent.url, secrets: [key] }).deliver(
        batch(10),
        stop.signal,
      );
      await silent.waitForRequests(1);
      stop.abort();
      const error = await failure(delivery);
      assert.equal(error.retryable, true);
      assert.match(error.message, /aborted/);
      await silent.waitForAborts(1);
    } finally {
      await silent.close();
    }
  });

  test('a receiver that is down is retryable; once up again the same batch is delivered', async () => {
    const flaky = await WebhookReceiver.start(key);
    try {
      const destination = createWebhookDestination({ type: 'webhook', url: flaky.url, secrets: [key] });
      await flaky.down();
      const error = await failure(destination.deliver(batch(11), live));
      assert.equal(error.retryable, true);
      assert.match(error.message, /could not be reached \(ECONNREFUSED\)/);
      await flaky.up();
      await destination.deliver(batch(11), live);
      assert.deepEqual(
        flaky.events.map((e) => e.id),
        ['t1/communication-log/11'],
      );
    } finally {
      await flaky.close();
    }
  });

  test('a batch id with dots is percent-encoded, the same way on every retry', () => {
    assert.equal(webhookId('t1/communication-log/0-9'), 't1/communication-log/0-9');
    assert.equal(webhookId('acme.eu/x'), 'acme%2Eeu%2Fx');
    assert.notEqual(webhookId('a%2Eb'), webhookId('a.b'));
  });

  test('configuration is checked with a message naming the field', () => {
    const url = 'https://hooks.example.com/x';
    const refused: [Partial<WebhookDestinationConfig>, RegExp][] = [
      [{ url: 'ftp://hooks.example.com/x' }, /url must be an http: or https: URL/],
      [{ url: 'https://user:pw@hooks.example.com/x' }, /url must not hold credentials/],
      [{ url: 'hooks.example.com' }, /url is not an absolute URL/],
      [{ secrets: ['c2VjcmV0'] }, /secrets\[0\] must start with whsec_/],
      [{ secrets: [secret(), secret(16)] }, /secrets\[1\] decodes to 16 bytes; .*24 to 64/],
      [{ secrets: [secret(65)] }, /decodes to 65 bytes/],
      [{ secrets: ['whsec_not base64!'] }, /standard base64/],
      [{ secrets: [] }, /1 to 5 secrets/],
      [{ secrets: Array.from({ length: 6 }, () => secret()) }, /1 to 5 secrets/],
      [
        { headers: { 'Webhook-Signature': 'v1,forged' } },
        /Webhook-Signature is set by the webhook destination/,
      ],
      [{ headers: { 'x-a': 'one\r\nx-b: two' } }, /printable ASCII without line breaks/],
      [{ headers: { 'bad name': 'v' } }, /is not a header name/],
    ];
    for (const [change, message] of refused) {
      assert.throws(
        () => createWebhookDestination({ type: 'webhook', url, secrets: [secret()], ...change }),
        (error: unknown) => error instanceof InvalidInputError && message.test(error.message),
        JSON.stringify(change),
      );
    }
    assert.ok(
      Value.Check(WebhookDestinationSchema, { type: 'webhook', url, secrets: [secret()], timeout_ms: 5000 }),
    );
    assert.ok(
      !Value.Check(WebhookDestinationSchema, { type: 'webhook', url, secrets: [secret()], extra: 1 }),
    );
  });
});
