/**
 * Two sealog processes on one PostgreSQL schema deliver a stream one at a time: the one holding
 * its lease. Killed with SIGKILL, the holder's lease runs out (STREAM_LEASE) and the other process
 * takes the stream over where the receiver last acknowledged: every event arrives, each log's
 * first deliveries in leaf order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import pg from 'pg';
import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { serveCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const TENANT = 'tnt_t';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const token = (roles: string[]) =>
  new SignJWT({ tenant_id: TENANT, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_takeover')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(TEST_SECRET));

/** The first delivery of each event, in arrival order. */
function firsts(events: readonly EventJson[]): EventJson[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.id) && seen.add(event.id));
}

describe('a stream across two sealog processes on PostgreSQL', { skip: !TEST_DATABASE_URL }, () => {
  let schema: TestSchema;
  let db: pg.Client;
  let receiver: WebhookReceiver;
  const servers: ServingCli[] = [];
  let writer: string;
  const ingest = async (server: ServingCli, ids: readonly string[]) => {
    const response = await fetch(`${server.url}/v1/ingest/communication-logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        ids.map((id) => ({ id, user_id: 'usr_1', channel: 'sms', recipient: '13800138000' })),
      ),
    });
    assert.equal(response.status, 200, await response.text());
  };
  const holder = async () =>
    (await db.query<{ holder: string | null }>('SELECT lease_holder AS holder FROM streams')).rows[0]?.holder;

  before(async () => {
    schema = await createTestSchema();
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    receiver = await WebhookReceiver.start(SECRET);
    // One process each (WORKERS=1): the lease holder's id names its pid.
    const env = {
      DATABASE_URL: schema.url,
      JWT_SECRET: TEST_SECRET,
      PURGE_INTERVAL: '0',
      STREAM_LEASE: '3',
      STREAM_PRIVATE_DESTINATIONS: 'allow',
      WORKERS: '1',
    };
    // One after the other: the first migrates the schema.
    servers.push(await serveCli([], env));
    servers.push(await serveCli([], env));
    writer = await token(['audit:write']);
  });
  after(async () => {
    for (const server of servers) await stopCli(server, 'SIGKILL');
    await receiver.close();
    await db.end();
    await schema.drop();
  });

  test('the holder killed, the other process takes the stream over and nothing is lost', async () => {
    const [first, second] = servers as [ServingCli, ServingCli];
    const put = await fetch(`${first.url}/v1/streams/siem`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(['admin'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        destination: { type: 'webhook', url: receiver.url, secrets: [SECRET] },
        kinds: ['communication-log'],
        batch: { max_events: 5, max_wait_ms: 0 },
      }),
    });
    assert.equal(put.status, 201, await put.text());
    for (let batch = 0; batch < 4; batch++) {
      await ingest(
        batch % 2 === 0 ? first : second,
        Array.from({ length: 5 }, (_, n) => `log_a${batch}_${n}`),
      );
    }
    await waitFor('20 events', () => firsts(receiver.events).length >= 20);
    const holding = await holder();
    const victim = servers.find((server) => holding?.includes(`:${String(server.child.pid)}:`));
    assert.ok(victim !== undefined, `one of the two processes holds the stream (${String(holding)})`);
    const survivor = victim === first ? second : first;

    await stopCli(victim, 'SIGKILL');
    for (let batch = 0; batch < 4; batch++) {
      await ingest(
        survivor,
        Array.from({ length: 5 }, (_, n) => `log_b${batch}_${n}`),
      );
    }
    await waitFor(
      '40 events, the last 20 delivered by the survivor',
      () => firsts(receiver.events).length >= 40,
    );
    assert.match(String(await holder()), new RegExp(`:${String(survivor.child.pid)}:`));
    const events = firsts(receiver.events);
    assert.deepEqual(
      events.map((event) => event.leaf_index),
      Array.from({ length: 40 }, (_, leaf) => leaf),
      'every leaf, first delivered in order',
    );
  });
});
