/**
 * Where a tenant's stream may deliver: by default only to public addresses, so that a tenant admin
 * cannot make sealog connect into the network it runs in; the platform decides otherwise with
 * STREAM_PRIVATE_DESTINATIONS=allow, and its own streams (STREAMS_FILE) are not held to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isPrivateAddress } from '../../src/streams/destinations/private-addresses.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

test('private, loopback, link-local and mapped addresses are told from public ones', () => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ]) {
    assert.equal(isPrivateAddress(address), true, address);
  }
  for (const address of ['203.0.113.10', '8.8.8.8', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});

describe('a tenant’s stream destinations, STREAM_PRIVATE_DESTINATIONS=deny (the default)', () => {
  let api: TestServer;
  let admin: string;
  const put = (destination: Record<string, unknown>) =>
    api.request('PUT', '/v1/streams/siem', {
      token: admin,
      body: { destination, kinds: ['operate-log'], paused: true },
    });

  before(async () => {
    api = await startTestServer({ STREAM_PRIVATE_DESTINATIONS: 'deny' });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
  });
  after(async () => {
    await api.close();
  });

  test('a private or local host is refused with a 400 that says why', async () => {
    for (const destination of [
      { type: 'webhook', url: 'http://127.0.0.1:9/hook', secrets: [SECRET] },
      { type: 'webhook', url: 'http://localhost/hook', secrets: [SECRET] },
      { type: 'webhook', url: 'http://[::1]:8080/hook', secrets: [SECRET] },
      { type: 'splunk-hec', url: 'http://169.254.169.254', token: 'abc' },
      { type: 'syslog', host: '192.168.0.10', port: 514, transport: 'tcp' },
      { type: 'nats', servers: ['nats://10.0.0.8:4222'] },
    ]) {
      const refused = await put(destination);
      assert.equal(refused.status, 400, JSON.stringify(destination));
      assert.match(String(refused.body.message), /private or local address|does not resolve/);
    }
    assert.equal(
      (await api.request('GET', '/v1/streams/siem', { token: admin })).status,
      404,
      'nothing stored',
    );
  });

  test('a public address is taken', async () => {
    const taken = await put({ type: 'webhook', url: 'https://203.0.113.10/hook', secrets: [SECRET] });
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
  });
});
