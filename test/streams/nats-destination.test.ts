import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Ajv } from 'ajv';
import type { Static } from 'typebox';
import { DeliveryError, type StreamEvent } from '../../src/streams/destinations/destination.js';
import { eventJson } from '../../src/streams/destinations/event-json.js';
import {
  decodeSubjectToken,
  encodeSubjectToken,
  NATS_PUBLISH_WINDOW,
  NATS_SECRET_FIELDS,
  NatsDestination,
  type NatsDestinationConfig,
  natsDestinationProblem,
  NatsDestinationSchema,
  parseNatsSubject,
} from '../../src/streams/destinations/nats-destination.js';
import {
  connectTestNats,
  createTestStream,
  freePort,
  NATS_URL,
  type OwnNatsServer,
  type StoredMessage,
  startNatsServer,
  storedMessages,
  type TestStream,
  uniqueToken,
} from '../helpers/nats-jetstream.js';
import { waitFor } from '../helpers/wait-for.js';

/** Compiles only if a config the schema accepts is one the destination takes. */
type SchemaFitsConfig = Static<typeof NatsDestinationSchema> extends NatsDestinationConfig ? true : false;
const schemaFitsConfig: SchemaFitsConfig = true;

/** Every visible ASCII character: what a tenant id may hold. */
const VISIBLE_CHARACTERS = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
const VISIBLE_ASCII = VISIBLE_CHARACTERS.join('');

function event(tenantId: string, kind: string, leafIndex: number): StreamEvent {
  return {
    id: `${tenantId}/${kind}/${leafIndex}`,
    kind,
    tenant_id: tenantId,
    leaf_index: leafIndex,
    record_id: `r-${leafIndex}`,
    transition: 0,
    time: 1_778_833_800_123 + leafIndex,
    record: { tenant_id: tenantId, text: `record ${leafIndex} ✓` },
  };
}

/** `perLog` events of each (tenant, kind) log, the logs interleaved as a deliverer may batch them. */
function interleaved(tenants: string[], kinds: string[], perLog: number, from = 0): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (let leaf = from; leaf < from + perLog; leaf++) {
    for (const tenant of tenants) for (const kind of kinds) events.push(event(tenant, kind, leaf));
  }
  return events;
}

function batch(events: StreamEvent[]) {
  return { id: `batch-${events[0]?.id ?? 'none'}-${events.length}`, events };
}

/** The messages the stream holds for each (tenant, kind), in stream order. */
function byLog(prefix: string, messages: StoredMessage[]): Map<string, StoredMessage[]> {
  const logs = new Map<string, StoredMessage[]>();
  for (const message of messages) {
    const parsed = parseNatsSubject(prefix, message.subject);
    assert.ok(parsed, `${message.subject} is an event subject under ${prefix}`);
    const key = `${parsed.tenantId} ${parsed.kind}`;
    logs.set(key, [...(logs.get(key) ?? []), message]);
  }
  return logs;
}

/** Asserts the stream holds exactly `events`, each once, each log in leaf order, with msg ids. */
function assertHolds(prefix: string, messages: StoredMessage[], events: StreamEvent[]): void {
  const expected = new Map<string, { msgId: string; json: unknown }[]>();
  for (const item of events) {
    const key = `${item.tenant_id} ${item.kind}`;
    expected.set(key, [...(expected.get(key) ?? []), { msgId: item.id, json: eventJson(item) }]);
  }
  const actual = byLog(prefix, messages);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, stored] of actual) {
    assert.deepEqual(
      stored.map(({ msgId, json }) => ({ msgId, json })),
      expected.get(key),
      `the log ${key}`,
    );
  }
}

function payloadBytes(events: StreamEvent[]): number {
  return events.reduce((sum, item) => sum + Buffer.byteLength(JSON.stringify(eventJson(item))), 0);
}

async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DeliveryError, `a DeliveryError, not ${String(error)}`);
    return error;
  }
  assert.fail('the delivery succeeded');
}

const live = () => new AbortController().signal;

describe('NATS subjects and configuration', () => {
  test('a tenant token keeps [A-Za-z0-9_-], escapes every other character (~ too) and decodes back', () => {
    assert.equal(encodeSubjectToken('acme_01-eu'), 'acme_01-eu');
    assert.equal(encodeSubjectToken('a.b*c>d~e'), 'a~2Eb~2Ac~3Ed~7Ee');
    assert.equal(encodeSubjectToken('~2E'), '~7E2E');
    const ids = [VISIBLE_ASCII, ...VISIBLE_CHARACTERS, 'é', '~7E', 'a.b', 'a~2Eb', 'a b'];
    const tokens = new Set<string>();
    for (const id of ids) {
      const token = encodeSubjectToken(id);
      assert.match(token, /^[A-Za-z0-9_~-]+$/);
      assert.equal(decodeSubjectToken(token), id);
      tokens.add(token);
    }
    assert.equal(tokens.size, new Set(ids).size, 'distinct ids, distinct tokens');
    for (const bad of ['', 'a.b', '~2e', '~2', '~ZZ', 'a b', '~FF'])
      assert.equal(decodeSubjectToken(bad), undefined, bad);
  });

  test('the schema and natsDestinationProblem accept a valid config and name what is wrong', () => {
    const validate = new Ajv({ useDefaults: true, allowUnionTypes: true }).compile(NatsDestinationSchema);
    const good: NatsDestinationConfig = {
      type: 'nats',
      servers: ['nats://a:4222', 'tls://b:4222'],
      user: 'u',
      password: 'p',
    };
    assert.ok(validate({ ...good }), JSON.stringify(validate.errors));
    assert.equal(natsDestinationProblem(good), undefined);
    const defaulted: Record<string, unknown> = { type: 'nats', servers: 'nats://127.0.0.1:4222' };
    assert.ok(validate(defaulted));
    assert.equal(defaulted.subject_prefix, 'sealog');
    // [config, the problem named, whether the schema alone sees it]
    const bad: [NatsDestinationConfig, RegExp, boolean][] = [
      [{ type: 'nats', servers: 'nats://x:1', subject_prefix: 'a.*' }, /subject_prefix/, true],
      [{ type: 'nats', servers: 'nats://x:1', subject_prefix: 'a..b' }, /subject_prefix/, true],
      [{ type: 'nats', servers: 'nats://x:1', subject_prefix: 'a.>' }, /subject_prefix/, true],
      [{ type: 'nats', servers: 'nats://x:1', subject_prefix: '$JS' }, /subject_prefix/, true],
      [{ type: 'nats', servers: 'nats://x:1', token: 't', user: 'u', password: 'p' }, /not several/, true],
      [{ type: 'nats', servers: 'nats://x:1', token: 't', creds: 'c' }, /not several/, true],
      [{ type: 'nats', servers: 'nats://x:1', user: 'u' }, /together/, true],
      [{ type: 'nats', servers: 'nats://u:hunter2@x:1' }, /servers: "nats:\/\/…@x:1"/, true],
      [{ type: 'nats', servers: 'http://x:1' }, /servers: "http/, true],
      [{ type: 'nats', servers: [] }, /at least one/, true],
      [{ type: 'nats', servers: 'nats://x:1', creds: 'not creds' }, /creds/, false],
    ];
    for (const [config, problem, bySchema] of bad) {
      const name = JSON.stringify(config);
      if (bySchema) assert.equal(validate({ ...config }), false, `the schema refuses ${name}`);
      assert.match(natsDestinationProblem(config) ?? '', problem, name);
      assert.throws(() => new NatsDestination(config), problem);
    }
    assert.doesNotMatch(
      natsDestinationProblem({ type: 'nats', servers: 'nats://u:hunter2@x:1' }) ?? '',
      /hunter2/,
    );
    assert.equal(schemaFitsConfig, true);
    assert.deepEqual([...NATS_SECRET_FIELDS], ['token', 'password', 'creds']);
  });
});

describe(`NatsDestination against ${NATS_URL}`, () => {
  let nc: NatsConnection;
  const streams: TestStream[] = [];
  const destinations: NatsDestination[] = [];

  before(async () => {
    nc = await connectTestNats();
  });
  after(async () => {
    await Promise.all(destinations.map((destination) => destination.close()));
    await Promise.all(streams.map((stream) => stream.delete()));
    await nc.drain();
  });

  async function stream(): Promise<TestStream> {
    const created = await createTestStream(nc);
    streams.push(created);
    return created;
  }
  function destination(config: Partial<NatsDestinationConfig>): NatsDestination {
    const created = new NatsDestination({ type: 'nats', servers: NATS_URL, ...config });
    destinations.push(created);
    return created;
  }

  test('events of two tenants and two kinds land on their subjects, complete, in order, with msg ids', async () => {
    const { prefix, messages } = await stream();
    // More events than the publish window, so that the window's waits are exercised.
    const events = interleaved(['acme', 'globex'], ['access-log', 'communication-log'], 100);
    assert.ok(events.length > NATS_PUBLISH_WINDOW);
    const nats = destination({ subject_prefix: prefix });
    const delivered = await nats.deliver(batch(events), live());
    assert.equal(delivered.bytes, payloadBytes(events));
    const stored = await messages();
    assert.equal(stored.length, events.length);
    assertHolds(prefix, stored, events);
    assert.deepEqual([...new Set(stored.map((message) => message.subject))].sort(), [
      `${prefix}.acme.access-log`,
      `${prefix}.acme.communication-log`,
      `${prefix}.globex.access-log`,
      `${prefix}.globex.communication-log`,
    ]);
  });

  test('a redelivery of the same events is de-duplicated by JetStream; an overlapping batch adds only the new ones', async () => {
    const { prefix, messages } = await stream();
    const first = interleaved(['acme', 'globex'], ['access-log'], 10);
    const nats = destination({ subject_prefix: prefix });
    await nats.deliver(batch(first), live());
    await nats.deliver(batch(first), live());
    // A new destination (a restarted deliverer) sends the same ids: still duplicates.
    await destination({ subject_prefix: prefix }).deliver(batch(first), live());
    assertHolds(prefix, await messages(), first);
    const overlapping = interleaved(['acme', 'globex'], ['access-log'], 10, 5);
    await nats.deliver(batch(overlapping), live());
    assertHolds(prefix, await messages(), interleaved(['acme', 'globex'], ['access-log'], 15));
  });

  test('a tenant id with dots, wildcards, ~ and every other visible ASCII character gets a valid subject', async () => {
    const { prefix, messages } = await stream();
    const tenants = ['a.b', '*', '>', '~', 'x~2Ey', VISIBLE_ASCII];
    const events = interleaved(tenants, ['mfa-config-audit-log'], 2);
    await destination({ subject_prefix: prefix }).deliver(batch(events), live());
    const stored = await messages();
    assertHolds(prefix, stored, events);
    for (const { subject } of stored)
      assert.match(subject.slice(prefix.length + 1), /^[A-Za-z0-9_~-]+\.[A-Za-z0-9_~-]+$/);
  });

  test('no stream capturing the prefix: a non-retryable error that says which stream to create', async () => {
    const prefix = `sealogtest.${uniqueToken()}`;
    const error = await deliveryError(
      destination({ subject_prefix: prefix }).deliver(batch([event('acme', 'access-log', 0)]), live()),
    );
    assert.equal(error.retryable, false);
    assert.ok(error.message.includes(`"${prefix}.>"`), error.message);
    assert.match(error.message, /no JetStream stream captures the subject "[^"]+\.acme\.access-log"/);
  });

  test('an unreachable server: a retryable error', async () => {
    const port = await freePort();
    const nats = destination({ servers: `nats://127.0.0.1:${port}`, timeout_ms: 5_000 });
    const error = await deliveryError(nats.deliver(batch([event('acme', 'access-log', 0)]), live()));
    assert.equal(error.retryable, true, error.message);
  });

  test('an aborted delivery rejects with a retryable error; a closed destination does not deliver', async () => {
    const { prefix } = await stream();
    const nats = destination({ subject_prefix: prefix });
    const controller = new AbortController();
    controller.abort();
    const aborted = await deliveryError(
      nats.deliver(batch([event('acme', 'access-log', 0)]), controller.signal),
    );
    assert.equal(aborted.retryable, true);
    await nats.deliver(batch([event('acme', 'access-log', 0)]), live());
    await nats.close();
    const closed = await deliveryError(nats.deliver(batch([event('acme', 'access-log', 1)]), live()));
    assert.equal(closed.retryable, true);
  });

  /**
   * A plain subscriber standing in for JetStream on a fresh prefix: `answer` gives the reply to
   * each message (undefined: none); `received` counts the messages it saw.
   */
  function fakeJetStream(answer: (subject: string) => object | undefined) {
    const prefix = `sealogtest.${uniqueToken()}`;
    const seen = { received: 0 };
    const subscription = nc.subscribe(`${prefix}.>`, {
      callback: (_error, message) => {
        seen.received++;
        const reply = answer(message.subject);
        if (reply !== undefined) message.respond(JSON.stringify(reply));
      },
    });
    return { prefix, seen, subscription };
  }
  const refusal = (code: number, description: string) => ({
    error: { code, err_code: 10_000 + code, description },
  });

  test('no PubAck in time: retryable; a 4xx refusal: not retryable; a 5xx one: retryable', async () => {
    const cases: [object | undefined, boolean, RegExp][] = [
      [undefined, true, /did not answer within 200 ms/],
      [
        refusal(400, 'message size exceeds maximum allowed'),
        false,
        /message size exceeds maximum allowed \(400/,
      ],
      [refusal(503, 'insufficient resources'), true, /insufficient resources \(503/],
    ];
    for (const [reply, retryable, message] of cases) {
      const fake = fakeJetStream(() => reply);
      await nc.flush();
      const nats = destination({ subject_prefix: fake.prefix, timeout_ms: 200 });
      const error = await deliveryError(nats.deliver(batch([event('acme', 'access-log', 0)]), live()));
      fake.subscription.unsubscribe();
      assert.equal(error.retryable, retryable, error.message);
      assert.match(error.message, message);
    }
  });

  test('once an event is refused, no further event of the batch is published', async () => {
    const fake = fakeJetStream((subject) =>
      subject.endsWith('.marker.access-log') ? { stream: 'fake', seq: 1 } : refusal(400, 'refused'),
    );
    await nc.flush();
    const nats = destination({ subject_prefix: fake.prefix });
    const events = interleaved(['acme'], ['access-log'], NATS_PUBLISH_WINDOW * 3);
    const error = await deliveryError(nats.deliver(batch(events), live()));
    assert.match(error.message, /refused/);
    // The marker follows the batch on the same connection: once it is acknowledged, the fake has
    // seen every message of the batch that was sent.
    await nats.deliver(batch([event('marker', 'access-log', 0)]), live());
    fake.subscription.unsubscribe();
    assert.equal(
      fake.seen.received,
      NATS_PUBLISH_WINDOW + 1,
      'the first window of the batch, then the marker',
    );
  });
});

describe('NatsDestination against a server requiring a password', () => {
  const password = `pw-${uniqueToken()}`;
  let server: OwnNatsServer;
  before(async () => {
    server = await startNatsServer({ user: 'sealog', password });
  });
  after(async () => {
    await server.stop();
  });

  test('wrong or missing credentials: a non-retryable error that quotes no secret', async () => {
    for (const credentials of [{ user: 'sealog', password: 'wrong-secret' }, {}, { token: 'token-secret' }]) {
      const nats = new NatsDestination({ type: 'nats', servers: server.url, ...credentials });
      const error = await deliveryError(nats.deliver(batch([event('acme', 'access-log', 0)]), live()));
      await nats.close();
      assert.equal(error.retryable, false, error.message);
      assert.match(error.message, /credentials/);
      for (const secret of ['wrong-secret', 'token-secret', password])
        assert.ok(!error.message.includes(secret));
    }
  });

  test('the right credentials deliver; a lost server is retryable, and the next delivery connects again', async () => {
    const admin = await connect({ servers: server.url, user: 'sealog', pass: password });
    const { prefix, name } = await createTestStream(admin, { storage: 'file' });
    await admin.close();
    const nats = new NatsDestination({
      type: 'nats',
      servers: server.url,
      user: 'sealog',
      password,
      subject_prefix: prefix,
      timeout_ms: 5_000,
    });
    try {
      const events = interleaved(['acme'], ['access-log'], 6);
      await nats.deliver(batch(events.slice(0, 3)), live());
      await server.kill();
      const lost = await deliveryError(nats.deliver(batch(events.slice(3)), live()));
      assert.equal(lost.retryable, true, lost.message);
      await server.start();
      const again = await connect({ servers: server.url, user: 'sealog', pass: password });
      try {
        const jsm = await jetstreamManager(again);
        // The file store comes back with the server; JetStream answers once it has recovered it.
        await waitFor('the stream after the restart', () =>
          jsm.streams.info(name).then(
            () => true,
            () => false,
          ),
        );
        await nats.deliver(batch(events.slice(3)), live());
        assertHolds(prefix, await storedMessages(again, name), events);
      } finally {
        await again.close();
      }
    } finally {
      await nats.close();
    }
  });
});
