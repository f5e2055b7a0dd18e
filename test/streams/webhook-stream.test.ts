/**
 * A tenant's log stream to a real Standard Webhooks receiver (verifying with the standardwebhooks
 * package), through a running sealog: every record of the tenant's carried kinds arrives, in leaf
 * order per (tenant, kind), redacted as the stream says; a receiver's 5xx is retried, a 400 pauses
 * the stream; resume and rewind deliver what they should; secrets are never shown.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const comm = (id: string, channel = 'sms') => ({
  id,
  user_id: 'usr_1',
  channel,
  recipient: channel === 'email' ? 'alice@example.com' : '13800138000',
  content: `your code for ${id} is 424242`,
});

/** The events of `kind` as received, by leaf index, the first delivery of each kept. */
function byLeaf(events: readonly EventJson[], kind: string): Map<number, EventJson> {
  const found = new Map<number, EventJson>();
  for (const event of events)
    if (event.kind === kind && !found.has(event.leaf_index)) found.set(event.leaf_index, event);
  return found;
}

/** Asserts that each log's events arrived in leaf order the first time each was delivered. */
function assertOrdered(events: readonly EventJson[]): void {
  const last = new Map<string, number>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const log = `${event.tenant_id}/${event.kind}`;
    assert.ok((last.get(log) ?? -1) < event.leaf_index, `${event.id} arrived after a later leaf of ${log}`);
    last.set(log, event.leaf_index);
  }
}

describe('a webhook stream through a running sealog', () => {
  let api: TestServer;
  let receiver: WebhookReceiver;
  let admin: string;
  let writer: string;
  const stream = (path = '') => `/v1/streams/siem${path}`;
  const status = async () => {
    const response = await api.request('GET', stream(), { token: admin });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.stream as Record<string, unknown> & { lag: { events: number } };
  };

  before(async () => {
    receiver = await WebhookReceiver.start(SECRET);
    api = await startTestServer({ STREAM_LEASE: '3' });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    writer = await api.token({ sub: 'svc', tenant_id: 'tnt_a', roles: ['audit:write'] });
    // Stored (and numbered: PostgreSQL numbers leaves after the commit) before the stream exists:
    // a new stream starts after it.
    await api.ingest('communication-logs', 'tnt_a', [comm('log_early')]);
    const store = await api.reopenStore();
    try {
      await waitFor(
        'log_early to have its leaf',
        async () =>
          (await store.integrity.logState({ tenantId: 'tnt_a', kind: 'communication-log' })).assigned === 1,
      );
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await api.close();
    await receiver.close();
  });

  test('a new stream delivers what is stored from then on, complete, in order, redacted; secrets stay hidden', async () => {
    const put = await api.request('PUT', stream(), {
      token: admin,
      body: {
        destination: { type: 'webhook', url: receiver.url, secrets: [SECRET] },
        kinds: ['communication-log', 'operate-log'],
        redact: { drop: ['content'], mask: ['user_id'] },
        batch: { max_events: 7, max_wait_ms: 0 },
      },
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const created = put.body.stream as { destination: Record<string, unknown>; state: string };
    assert.deepEqual(created.destination.secrets, ['[hidden]']);
    assert.ok(!JSON.stringify(put.body).includes(SECRET.slice(6)), 'the secret is never answered');

    for (let batch = 0; batch < 4; batch++) {
      await api.ingest(
        'communication-logs',
        'tnt_a',
        Array.from({ length: 5 }, (_, n) => comm(`log_${batch}_${n}`)),
      );
    }
    await api.ingest('operate-logs', 'tnt_a', [
      { id: 'op_1', operate_type: 'login', operate_content: 'door' },
    ]);
    await api.ingest('communication-logs', 'tnt_b', [comm('log_other_tenant')]);
    await api.ingest('mfa-config-audit-logs', 'tnt_a', [
      {
        id: 'mfa_1',
        action: 'mfa_totp.enabled',
        target_type: 'mfa_totp',
        target_id: 't',
        operator_id: 'usr_1',
      },
    ]);
    const receipt = await api.request('PATCH', '/v1/ingest/communication-logs/log_0_0', {
      token: writer,
      body: { status: 'delivered' },
    });
    assert.equal(receipt.status, 200, JSON.stringify(receipt.body));

    // 20 records, one transition, one operate log; log_early (leaf 0) came before the stream.
    await receiver.waitForEvents(22);
    const events = receiver.events;
    assertOrdered(events);
    const comms = byLeaf(events, 'communication-log');
    assert.deepEqual(
      [...comms.keys()].sort((a, b) => a - b),
      Array.from({ length: 21 }, (_, n) => n + 1),
    );
    assert.ok(
      events.every((event) => event.tenant_id === 'tnt_a'),
      'only the stream’s tenant',
    );
    assert.ok(
      events.every((event) => event.kind !== 'mfa-config-audit-log'),
      'only the carried kinds',
    );
    const first = comms.get(1);
    assert.equal(first?.record_id, 'log_0_0');
    assert.equal(first.transition, 0);
    assert.equal(first.record.status, 'pending', 'the record as inserted');
    assert.equal(first.record.recipient, '138****8000', 'as the API shows it');
    assert.equal(first.record.user_id, 'u****1', 'masked by the stream');
    assert.ok(!('content' in first.record), 'dropped by the stream');
    assert.equal(first.id, 'tnt_a/communication-log/1');
    const transition = comms.get(21);
    assert.equal(transition?.record_id, 'log_0_0');
    assert.equal(transition.transition, 1);
    assert.equal(transition.record.status, 'delivered', 'the record after its transition');
    assert.equal(byLeaf(events, 'operate-log').get(0)?.record_id, 'op_1');
    assert.ok(
      receiver.batches.every((batch) => batch.payload.data.events.length <= 7),
      'batches of at most 7',
    );

    await waitFor('the stream to have no lag', async () => (await status()).lag.events === 0);
    const health = await status();
    assert.equal(health.state, 'active');
    assert.equal(health.events_delivered, 22);
    assert.ok(Number(health.bytes_delivered) > 0);
    assert.equal(typeof health.last_success_at, 'string');
  });

  test('a 5xx is retried until it succeeds; a 400 pauses the stream, and resume delivers the rest', async () => {
    const before = receiver.events.length;
    receiver.failNext(2, { status: 503, body: 'busy' });
    await api.ingest('communication-logs', 'tnt_a', [comm('log_retried')]);
    await receiver.waitForEvents(before + 1);
    assert.equal(receiver.events.at(-1)?.record_id, 'log_retried');
    const retried = await status();
    assert.match((retried.last_error as { message: string }).message, /503/);

    receiver.failNext(1, { status: 400, body: 'unknown field' });
    await api.ingest('communication-logs', 'tnt_a', [comm('log_refused')]);
    await waitFor('the stream to pause itself', async () => (await status()).state === 'paused');
    const paused = await status();
    assert.match(String(paused.paused_reason), /400/);
    await api.ingest('communication-logs', 'tnt_a', [comm('log_while_paused')]);
    await waitFor('the lag to count both', async () => (await status()).lag.events === 2);

    const resumed = await api.request('POST', stream('/resume'), { token: admin });
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    await receiver.waitForEvents(before + 3);
    assert.deepEqual(
      receiver.events.slice(before + 1).map((event) => event.record_id),
      ['log_refused', 'log_while_paused'],
    );
    assertOrdered(receiver.events);
  });

  test('a running stream is not rewound; paused, it is, and the events come again with the same ids', async () => {
    const running = await api.request('POST', stream('/rewind'), { token: admin, body: { leaf_index: 0 } });
    assert.equal(running.status, 409);
    assert.match(String(running.body.message), /pause it first/);

    assert.equal((await api.request('POST', stream('/pause'), { token: admin })).status, 200);
    const rewound = await api.request('POST', stream('/rewind'), {
      token: admin,
      body: { leaf_index: 0, kind: 'communication-log' },
    });
    assert.equal(rewound.status, 200, JSON.stringify(rewound.body));
    const stored = byLeaf(receiver.events, 'communication-log');
    const before = receiver.events.length;
    assert.equal((await api.request('POST', stream('/resume'), { token: admin })).status, 200);
    // Every leaf of the log again, the one stored before the stream (leaf 0) included.
    await receiver.waitForEvents(before + stored.size + 1);
    const again = receiver.events.slice(before);
    assert.equal(again[0]?.id, 'tnt_a/communication-log/0');
    assert.equal(again[0].record_id, 'log_early');
    for (const event of again.slice(1, stored.size + 1)) {
      assert.deepEqual(event, stored.get(event.leaf_index), 'the same event, with the same id');
    }
  });

  test('definitions are checked whole: a clear 400, a 403 outside the tenant, 404 for no stream', async () => {
    const put = (body: unknown, path = stream()) => api.request('PUT', path, { token: admin, body });
    const destination = { type: 'webhook', url: receiver.url, secrets: [SECRET] };
    const cases: [unknown, RegExp][] = [
      [{ destination, kinds: ['nothing'] }, /kinds/],
      [{ destination: { ...destination, secrets: ['plain'] }, kinds: ['operate-log'] }, /whsec_/],
      [{ destination: { type: 'ftp' }, kinds: ['operate-log'] }, /destination\.type must be one of webhook/],
      [
        { destination, kinds: ['operate-log'], filters: { 'operate-log': { channel: 'sms' } } },
        /channel is not a filter/,
      ],
      [{ destination, kinds: ['operate-log'], redact: { drop: ['no_such_field'] } }, /no_such_field/],
      [{ destination, kinds: ['operate-log'], pause_after_failing: 'soon' }, /pause_after_failing/],
    ];
    for (const [body, message] of cases) {
      const response = await put(body, '/v1/streams/other');
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
      assert.match(String(response.body.message), message);
    }
    assert.equal((await api.request('GET', '/v1/streams/other', { token: admin })).status, 404);
    const foreign = await api.request('GET', `${stream()}?tenant_id=tnt_b`, { token: admin });
    assert.equal(foreign.status, 403);
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    assert.equal((await api.request('GET', '/v1/streams', { token: user })).status, 403);
  });
});
