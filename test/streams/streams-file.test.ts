/**
 * Platform streams from STREAMS_FILE: applied at start, every tenant's records delivered, seen and
 * paused by platform admins only, replaced when the file changes and removed when it drops them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const comm = (id: string) => ({ id, user_id: 'usr_1', channel: 'email', recipient: 'alice@example.com' });

describe('platform streams of STREAMS_FILE', () => {
  let dir: string;
  let file: string;
  let receiver: WebhookReceiver;
  let api: TestServer;
  let platform: string;
  let tenantAdmin: string;
  const writeStreams = (streams: Record<string, unknown>) => {
    writeFileSync(file, JSON.stringify({ streams }), { mode: 0o600 });
  };
  const definition = (kinds: string[]) => ({
    destination: { type: 'webhook', url: receiver.url, secrets: [SECRET] },
    kinds,
    batch: { max_wait_ms: 0 },
    start: 'beginning',
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-streams-file-'));
    file = join(dir, 'streams.json');
    receiver = await WebhookReceiver.start(SECRET);
    writeStreams({ everything: definition(['communication-log']) });
    api = await startTestServer({ STREAMS_FILE: file });
    platform = await api.token({ sub: 'usr_root', roles: ['admin'] });
    tenantAdmin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
  });
  after(async () => {
    await api.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every tenant’s records arrive; only platform admins see the stream, and the file alone defines it', async () => {
    await api.ingest('communication-logs', 'tnt_a', [comm('log_a')]);
    await api.ingest('communication-logs', 'tnt_b', [comm('log_b')]);
    await receiver.waitForEvents(2);
    assert.deepEqual(receiver.events.map((event) => event.id).sort(), [
      'tnt_a/communication-log/0',
      'tnt_b/communication-log/0',
    ]);

    const listed = await api.request('GET', '/v1/streams', { token: platform });
    const streams = listed.body.streams as { name: string; tenant_id: string | null }[];
    assert.deepEqual(
      streams.map((stream) => [stream.name, stream.tenant_id]),
      [['everything', null]],
    );
    const own = await api.request('GET', '/v1/streams', { token: tenantAdmin });
    assert.deepEqual(own.body.streams, [], 'a tenant admin sees its tenant’s streams only');
    assert.equal((await api.request('GET', '/v1/streams/everything', { token: tenantAdmin })).status, 404);

    const put = await api.request('PUT', '/v1/streams/everything', {
      token: platform,
      body: definition(['operate-log']),
    });
    assert.equal(put.status, 400);
    assert.match(String(put.body.message), /STREAMS_FILE/);
    assert.equal(
      (await api.request('POST', '/v1/streams/everything/pause', { token: platform })).status,
      200,
    );
    assert.equal(
      (await api.request('POST', '/v1/streams/everything/resume', { token: platform })).status,
      200,
    );
  });

  test('a restart applies the changed file: the stream replaced, then removed', async () => {
    writeStreams({ everything: definition(['communication-log', 'operate-log']) });
    await api.restart();
    const changed = await api.request('GET', '/v1/streams/everything', { token: platform });
    assert.deepEqual((changed.body.stream as { kinds: string[] }).kinds, [
      'communication-log',
      'operate-log',
    ]);
    await api.ingest('operate-logs', 'tnt_a', [{ id: 'op_1', operate_type: 'login' }]);
    await waitFor('the operate log to arrive', () =>
      receiver.events.some((event) => event.record_id === 'op_1'),
    );

    writeStreams({});
    await api.restart();
    assert.equal((await api.request('GET', '/v1/streams/everything', { token: platform })).status, 404);
  });
});
