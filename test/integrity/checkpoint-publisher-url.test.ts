/**
 * Publishing checkpoints to CHECKPOINT_URL, against a real local HTTP receiver that refuses the
 * first attempts: each checkpoint arrives exactly once, byte for byte, as text/plain with the
 * URL's credentials as Basic authorization, after back-off delays the test fires itself.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { backoffMs } from '../../src/integrity/checkpoints/checkpoint-receiver.js';
import { acme, manualTime, publisherOf, signedLogs } from '../helpers/checkpoint-fixtures.js';

test('back-off: 1 s doubling up to 5 min, jittered over its second half', () => {
  assert.deepEqual(
    [1, 2, 3, 9, 10, 11, 1_000].map((attempts) => backoffMs(attempts, () => 0)),
    [500, 1_000, 2_000, 128_000, 150_000, 150_000, 150_000],
  );
  assert.deepEqual(
    [1, 2, 9, 10, 1_000].map((attempts) => backoffMs(attempts, () => 0.999_999)),
    [1_000, 2_000, 256_000, 300_000, 300_000],
  );
});

/** A local receiver answering 503 to its first `failures` requests, then 201. */
async function receiver(failures: number) {
  const requests: {
    body: Buffer;
    contentType: string | undefined;
    authorization: string | undefined;
    status: number;
  }[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = requests.length < failures ? 503 : 201;
      const { 'content-type': contentType, authorization } = request.headers;
      requests.push({ body: Buffer.concat(chunks), contentType, authorization, status });
      response.writeHead(status).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://user:secret@127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints?token=t0k3n`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        resolve();
      });
    });
  return { url, requests, close };
}

test('POSTs retried with back-off until accepted: each checkpoint arrives once, byte for byte', async () => {
  const { url, requests, close } = await receiver(2);
  try {
    const logs = signedLogs();
    const clock = manualTime();
    const { publisher, errors, alarms } = publisherOf(logs, {
      url,
      now: clock.now,
      schedule: clock.schedule,
      random: () => 0.5,
    });
    const first = await logs.sign(acme, 300);
    const second = await logs.sign(acme, 700);
    await publisher.publish();
    assert.deepEqual(
      clock.time.timers.map((timer) => timer.delayMs),
      [750],
    );
    // Asked again while backing off: nothing is sent, the retry stays as armed.
    await publisher.publish();
    assert.equal(requests.length, 1);
    assert.equal(clock.time.timers.length, 1);
    assert.equal(clock.fire(), 750);
    await publisher.publish(); // joins the pass the timer started
    assert.deepEqual(
      clock.time.timers.map((timer) => timer.delayMs),
      [1_500],
    );
    clock.fire();
    await publisher.publish();
    assert.deepEqual(
      requests.map((request) => [request.status, request.body.toString()]),
      [
        [503, first],
        [503, first],
        [201, first],
        [201, second],
      ],
    );
    assert.deepEqual(requests[2]?.body, Buffer.from(first, 'utf8'));
    for (const request of requests) {
      assert.equal(request.contentType, 'text/plain; charset=utf-8');
      assert.equal(request.authorization, `Basic ${Buffer.from('user:secret').toString('base64')}`);
    }
    assert.deepEqual(await logs.store.unpublished('url', 10), []);
    assert.deepEqual(clock.time.timers, []);
    assert.deepEqual(alarms, []);
    assert.deepEqual(
      errors.map((error) => error.message),
      [
        'CHECKPOINT_URL answered 503 to the checkpoint of size 300 (attempt 1; retrying in 750 ms)',
        'CHECKPOINT_URL answered 503 to the checkpoint of size 300 (attempt 2; retrying in 1500 ms)',
      ],
    );
    await publisher.publish();
    assert.equal(requests.length, 4, 'published exactly once each');
  } finally {
    await close();
  }
});

test('an unreachable or silent receiver is a failure to retry; stop() ends a POST in flight', async () => {
  const logs = signedLogs();
  await logs.sign(acme, 300);
  const hanging = createServer(() => {
    // Never answers.
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  try {
    const clock = manualTime();
    const timeout = publisherOf(logs, {
      url: `http://127.0.0.1:${port}/`,
      timeoutMs: 50,
      schedule: clock.schedule,
      now: clock.now,
    });
    await timeout.publisher.publish();
    assert.match(timeout.errors[0]?.message ?? '', /^CHECKPOINT_URL did not answer within 50 ms/);
    const stopping = publisherOf(logs, {
      url: `http://127.0.0.1:${port}/`,
      schedule: clock.schedule,
      now: () => clock.now() + 10 ** 9,
    });
    const publishing = stopping.publisher.publish();
    await stopping.publisher.stop();
    await publishing;
    assert.deepEqual(stopping.errors, [], 'a POST cut by stop() is no failure');
    await stopping.publisher.publish();
  } finally {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) =>
      hanging.close(() => {
        resolve();
      }),
    );
  }
  const refused = publisherOf(logs, { url: `http://127.0.0.1:${port}/`, schedule: manualTime().schedule });
  await refused.publisher.publish();
  assert.match(refused.errors[0]?.message ?? '', /^CHECKPOINT_URL could not be reached \(ECONNREFUSED\)/);
  assert.equal((await logs.store.unpublished('url', 10))[0]?.attempts, 2);
});
