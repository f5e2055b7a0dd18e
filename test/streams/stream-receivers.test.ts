/**
 * One scenario, every destination, each with a real receiver (test/helpers/stream-receivers.ts) and
 * a real `sealog serve` process on TEST_STORE's store: a tenant's stream delivers every record in
 * leaf order per log, redacted; an outage of the receiver is retried until it ends; sealog killed
 * with SIGKILL mid-stream and started again loses nothing; pause and rewind deliver a log again
 * with the same event ids.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { serveCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres-schema.js';
import { RECEIVERS, type StreamReceiver } from '../helpers/stream-receivers.js';
import { TEST_SECRET, TEST_STORE } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const TENANT = 'tnt_s';
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_stream_test')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(TEST_SECRET));
const comm = (id: string) => ({
  id,
  user_id: 'usr_1',
  channel: 'sms',
  recipient: '13800138000',
  content: `code 424242 for ${id}`,
});

/** The first delivery of each event, in arrival order. */
function firsts(events: readonly EventJson[]): EventJson[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.id) && seen.add(event.id));
}

for (const [type, start] of Object.entries(RECEIVERS)) {
  describe(`a ${type} stream from a sealog process (${TEST_STORE})`, () => {
    let receiver: StreamReceiver;
    let dir: string;
    let schema: TestSchema | undefined;
    let env: Record<string, string>;
    let server: ServingCli | undefined;
    let admin: string;
    let writer: string;
    const call = async (method: string, path: string, body?: unknown, bearer = admin) => {
      if (server === undefined) throw new Error('sealog is not running');
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const ingest = async (ids: readonly string[]) => {
      const answer = await call('POST', '/v1/ingest/communication-logs', ids.map(comm), writer);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    const health = async () => (await call('GET', '/v1/streams/siem')).body.stream as Record<string, unknown>;
    const expected = (count: number) =>
      Array.from({ length: count }, (_, leaf) => `${TENANT}/communication-log/${leaf}`);
    const waitForLeaves = (count: number) =>
      waitFor(
        `${count} distinct events at the ${type} receiver`,
        async () => firsts(await receiver.events()).length >= count,
      );

    before(async () => {
      receiver = await start();
      dir = mkdtempSync(join(tmpdir(), 'sealog-stream-'));
      schema = TEST_STORE === 'postgres' ? await createTestSchema() : undefined;
      env = {
        DATABASE_URL: schema?.url ?? `sqlite:${join(dir, 'sealog.db')}`,
        JWT_SECRET: TEST_SECRET,
        PURGE_INTERVAL: '0',
        // A killed process's lease ends soon: its successor takes the stream over after it.
        STREAM_LEASE: '3',
        STREAM_PRIVATE_DESTINATIONS: 'allow',
      };
      server = await serveCli([], env);
      admin = await token({ tenant_id: TENANT, roles: ['admin'] });
      writer = await token({ tenant_id: TENANT, roles: ['audit:write'] });
    });
    after(async () => {
      if (server !== undefined) await stopCli(server, 'SIGKILL');
      await receiver.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('every record arrives in leaf order, redacted; an outage of the receiver is retried', async () => {
      const put = await call('PUT', '/v1/streams/siem', {
        destination: receiver.destination,
        kinds: ['communication-log'],
        redact: { drop: ['content'] },
        batch: { max_events: 10, max_wait_ms: 0 },
        start: 'beginning',
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      for (let batch = 0; batch < 3; batch++)
        await ingest(Array.from({ length: 8 }, (_, n) => `log_${batch}_${n}`));
      await waitForLeaves(24);

      await receiver.outage();
      await ingest(['log_during_outage']);
      await waitFor('the stream to retry', async () => (await health()).state === 'retrying');
      assert.ok((await health()).last_error !== null);
      await receiver.restore();
      await waitForLeaves(25);
      await waitFor('the stream to be active again', async () => (await health()).state === 'active');

      const events = firsts(await receiver.events());
      assert.deepEqual(
        events.map((event) => event.id),
        expected(25),
      );
      assert.equal(events.at(-1)?.record_id, 'log_during_outage');
      assert.ok(
        events.every((event) => !('content' in event.record)),
        'content dropped',
      );
      assert.equal(events[0]?.record.recipient, '138****8000');
    });

    test('SIGKILL mid-stream loses nothing: the next process resumes where the receiver acknowledged', async () => {
      const ingesting = (async () => {
        for (let batch = 0; batch < 10; batch++) {
          await ingest(Array.from({ length: 10 }, (_, n) => `log_k${batch}_${n}`)).catch(() => undefined);
        }
      })();
      await waitForLeaves(26);
      if (server !== undefined) await stopCli(server, 'SIGKILL');
      server = undefined;
      await ingesting;
      server = await serveCli([], env);
      // Batches the kill cut off are sent again (ingest is idempotent by id): all 100 are stored.
      for (let batch = 0; batch < 10; batch++)
        await ingest(Array.from({ length: 10 }, (_, n) => `log_k${batch}_${n}`));
      await waitForLeaves(125);
      const events = firsts(await receiver.events());
      assert.deepEqual(
        events.map((event) => event.id),
        expected(125),
        'every leaf once, in order',
      );
      await waitFor('no lag', async () => ((await health()).lag as { events: number }).events === 0);
    });

    test('paused and rewound, the log is delivered again with the same ids', async () => {
      assert.equal((await call('POST', '/v1/streams/siem/pause')).status, 200);
      const rewound = await call('POST', '/v1/streams/siem/rewind', { leaf_index: 100 });
      assert.equal(rewound.status, 200, JSON.stringify(rewound.body));
      const delivered = Number((await health()).events_delivered);
      const before = (await receiver.events()).length;
      assert.equal((await call('POST', '/v1/streams/siem/resume')).status, 200);
      await waitFor(
        'leaves 100…124 delivered again',
        async () => Number((await health()).events_delivered) >= delivered + 25,
      );
      // At least once: a batch may come twice (e.g. one sent as the pause took effect); each first in order.
      const again = firsts((await receiver.events()).slice(before));
      if (type === 'nats') {
        // JetStream drops a message whose Nats-Msg-Id it holds (its duplicate window): stored once.
        assert.deepEqual(again, []);
      } else {
        assert.deepEqual(
          again.map((event) => event.id),
          expected(125).slice(100),
        );
      }
    });
  });
}
