import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { InvalidInputError } from '../../src/domain/errors.js';
import {
  DeliveryError,
  type DeliveryBatch,
  type StreamEvent,
} from '../../src/streams/destinations/destination.js';
import { eventJson } from '../../src/streams/destinations/event-json.js';
import {
  createSplunkHecDestination,
  hecTime,
  type SplunkHecDestinationConfig,
} from '../../src/streams/destinations/splunk-hec-destination.js';
import { hec, HecReceiver, splitObjects } from '../helpers/hec-receiver.js';

const TOKEN = '6f1d2c3b-4a5e-4f60-8a9b-0c1d2e3f4a5b';

function event(leaf: number, kind: string, ms: number): StreamEvent {
  return {
    id: `t1/${kind}/${leaf}`,
    kind,
    tenant_id: 't1',
    leaf_index: leaf,
    record_id: `rec_${leaf}`,
    transition: 0,
    time: Date.UTC(2026, 4, 15, 8, 30, 0, ms),
    record: { tenant_id: 't1', id: `rec_${leaf}`, note: 'line one\nline "two" }{' },
  };
}

const BATCH: DeliveryBatch = {
  id: 'b1',
  events: [event(0, 'communication-log', 123), event(1, 'communication-log', 0), event(0, 'operate-log', 50)],
};

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

describe('Splunk HEC destination', () => {
  let receiver: HecReceiver;
  const config = (extra: Partial<SplunkHecDestinationConfig> = {}): SplunkHecDestinationConfig => ({
    type: 'splunk-hec',
    url: receiver.origin,
    token: TOKEN,
    ...extra,
  });

  before(async () => {
    receiver = await HecReceiver.start({ token: TOKEN, indexes: ['audit', 'main'] });
  });
  after(async () => {
    await receiver.close();
  });

  test("POSTs Splunk's batch format: event objects one after another, times in seconds with ms", async () => {
    const delivered = await createSplunkHecDestination(config()).deliver(BATCH, live);
    assert.deepEqual(receiver.violations, []);
    const request = receiver.requests.at(-1);
    assert.ok(request !== undefined);
    assert.equal(request.path, '/services/collector/event');
    assert.equal(request.headers.authorization, `Splunk ${TOKEN}`);
    assert.equal(delivered.bytes, Buffer.byteLength(request.body));
    // No array, no commas: objects separated by newlines, each time with exactly three decimals.
    const lines = request.body.split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((line) => /^\{"time":(\d+\.\d{3}),/.exec(line)?.[1]),
      ['1778833800.123', '1778833800.000', '1778833800.050'],
    );
    assert.deepEqual(receiver.events.slice(-3), [
      ...BATCH.events.map((e) => ({
        time: e.time / 1000,
        source: 'sealog',
        sourcetype: `sealog:${e.kind}`,
        event: JSON.parse(JSON.stringify(eventJson(e))) as unknown,
      })),
    ]);
  });

  test('host, index, source and sourcetype come from the config; a URL naming the endpoint is kept', async () => {
    const destination = createSplunkHecDestination(
      config({
        url: `${receiver.origin}/services/collector/event`,
        host: 'sealog-1',
        index: 'audit',
        source: 'sealog-prod',
        sourcetype: '_json',
      }),
    );
    await destination.deliver({ id: 'b2', events: [BATCH.events[0] as StreamEvent] }, live);
    assert.deepEqual(receiver.violations, []);
    const got = receiver.events.at(-1);
    assert.deepEqual(
      { host: got?.host, index: got?.index, source: got?.source, sourcetype: got?.sourcetype },
      { host: 'sealog-1', index: 'audit', source: 'sealog-prod', sourcetype: '_json' },
    );
    await createSplunkHecDestination(config({ url: `${receiver.origin}/` })).deliver(BATCH, live);
    assert.equal(receiver.requests.at(-1)?.path, '/services/collector/event');
  });

  test('an invalid token is a configuration error naming the status and HEC code', async () => {
    const error = await failure(
      createSplunkHecDestination(config({ token: 'not-the-token' })).deliver(BATCH, live),
    );
    assert.equal(error.retryable, false);
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /^configuration error: Splunk HEC .* answered 403 Forbidden: code 4 "Invalid token"/,
    );
    assert.ok(!error.message.includes('not-the-token'));
  });

  test("an index outside the token's allowed indexes is a configuration error", async () => {
    const error = await failure(createSplunkHecDestination(config({ index: 'secret' })).deliver(BATCH, live));
    assert.equal(error.retryable, false);
    assert.equal(error.status, 400);
    assert.match(
      error.message,
      /code 7 "Incorrect index" \(the index is not among the token's allowed indexes.*at event 0/,
    );
  });

  test('busy (503 code 9), internal error (500 code 8) and 429 are retryable; the batch goes through after', async () => {
    const destination = createSplunkHecDestination(config());
    const cues: [number, number, string][] = [
      [503, 9, 'Server is busy'],
      [500, 8, 'Internal server error'],
      [429, 26, 'Too many'],
    ];
    for (const [status, code, text] of cues) {
      const answer = hec(status, code, text);
      receiver.failNext(1, { ...answer, headers: { ...answer.headers, 'retry-after': '3' } });
      const error = await failure(destination.deliver(BATCH, live));
      assert.equal(error.retryable, true);
      assert.equal(error.status, status);
      assert.equal(error.retryAfterMs, 3000);
      assert.ok(error.message.includes(`code ${code} "${text}"`), error.message);
    }
    const accepted = receiver.events.length;
    await destination.deliver(BATCH, live);
    await receiver.waitForEvents(accepted + 3);
  });

  test('a 200 whose code is not 0 is not an acceptance', async () => {
    receiver.failNext(1, hec(200, 17, 'HEC is healthy'));
    const error = await failure(createSplunkHecDestination(config()).deliver(BATCH, live));
    assert.equal(error.retryable, false);
    assert.match(error.message, /answered 200 code 17 "HEC is healthy"/);
  });

  test("token acknowledgement on (400 code 10) says what to change; a proxy's page is quoted", async () => {
    receiver.failNext(1, hec(400, 10, 'Data channel is missing'));
    const ack = await failure(createSplunkHecDestination(config()).deliver(BATCH, live));
    assert.match(ack.message, /indexer acknowledgement on, which sealog does not use/);
    receiver.failNext(1, { status: 502, body: '<html><body>Bad gateway</body></html>' });
    const proxy = await failure(createSplunkHecDestination(config()).deliver(BATCH, live));
    assert.equal(proxy.retryable, true);
    assert.match(proxy.message, /answered 502 Bad Gateway: <html><body>Bad gateway/);
  });

  test("the stream's signal aborts a delivery HEC never answers, retryably", async () => {
    receiver.hang();
    try {
      const [requests, aborted] = [receiver.requests.length, receiver.aborted];
      const stop = new AbortController();
      const delivery = createSplunkHecDestination(config()).deliver(BATCH, stop.signal);
      await receiver.waitForRequests(requests + 1);
      stop.abort();
      const error = await failure(delivery);
      assert.equal(error.retryable, true);
      assert.match(error.message, /aborted/);
      await receiver.waitForAborts(aborted + 1);
    } finally {
      receiver.hang(false);
    }
  });

  test("a certificate that does not verify (Splunk's default, self-signed) is a configuration error", async () => {
    let requests = 0;
    const server = createServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_request, response) => {
      requests += 1;
      response.end('{"text":"Success","code":0}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      const url = `https://127.0.0.1:${address.port}`;
      const error = await failure(createSplunkHecDestination(config({ url })).deliver(BATCH, live));
      assert.equal(error.retryable, false);
      assert.match(error.message, /TLS certificate .* does not verify .*NODE_EXTRA_CA_CERTS/);
      assert.equal(requests, 0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  });

  test('configuration is checked with a message naming the field', () => {
    const refused: [Partial<SplunkHecDestinationConfig>, RegExp][] = [
      [{ url: 'splunk:8088' }, /url must be an http: or https: URL|url is not an absolute URL/],
      [{ url: 'https://admin:changeme@splunk:8088' }, /url must not hold credentials/],
      [{ token: 'two words' }, /token must be printable ASCII/],
      [{ index: 'Main' }, /index: Splunk index names are lower-case/],
    ];
    for (const [change, message] of refused) {
      assert.throws(
        () =>
          createSplunkHecDestination({
            type: 'splunk-hec',
            url: 'https://splunk:8088',
            token: TOKEN,
            ...change,
          }),
        (error: unknown) => error instanceof InvalidInputError && message.test(error.message),
        JSON.stringify(change),
      );
    }
  });

  test('hecTime writes integer ms as seconds with three decimals, exactly', () => {
    assert.equal(hecTime(1_778_833_800_123), '1778833800.123');
    assert.equal(hecTime(1_778_833_800_000), '1778833800.000');
    assert.equal(hecTime(5), '0.005');
    assert.equal(hecTime(-1), '-0.001');
    assert.equal(hecTime(-1500), '-1.500');
    assert.deepEqual(splitObjects('{"a":1}\n{"b":"}{"} '), [{ a: 1 }, { b: '}{' }]);
    assert.equal(typeof splitObjects('[{"a":1}]'), 'string');
  });
});

/** A self-signed certificate for 127.0.0.1 (P-256, valid 2026–2126), trusted by nobody. */
const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpcQPp4Z+wg55wZ/E
4/iSEXUCEwfQHh5X+vLMY9VQWgKhRANCAATosck4BfIQMUrSRVrHEkPeDcLWNU+3
CzZImSX+R4N7+dX3AczHQaaKvvmtptjjl+IIhaEpuoqDzgr6fB9Lz6vR
-----END PRIVATE KEY-----`;
const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUXqQkw2g35d8Pvf8J9dEBjmfrB+EwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMTA2NTgxN1oYDzIxMjYxMTA3
MDY1ODE3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATosck4BfIQMUrSRVrHEkPeDcLWNU+3CzZImSX+R4N7+dX3AczHQaaK
vvmtptjjl+IIhaEpuoqDzgr6fB9Lz6vRo2QwYjAdBgNVHQ4EFgQU4dlJhoLiTdsc
oN8bKGCjRjOV9J0wHwYDVR0jBBgwFoAU4dlJhoLiTdscoN8bKGCjRjOV9J0wDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IECxb3XLbRh+FPjBqXgAnSKSx8wjdhr59p1Mkc+PbuuPAiBld3kUXUTHEif8oBA0
GFeH2oXpuqnA+bad2r8gzVO6Zg==
-----END CERTIFICATE-----`;
