import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeliveryError, type StreamEvent } from '../../src/streams/destinations/destination.js';
import { eventJson } from '../../src/streams/destinations/event-json.js';
import {
  SyslogDestination,
  type SyslogDestinationConfig,
} from '../../src/streams/destinations/syslog-destination.js';
import {
  formatSyslogMessage,
  frameOctetCounted,
  syslogHeader,
} from '../../src/streams/destinations/syslog-message.js';
import { RsyslogReceiver, type ReceivedMessage } from '../helpers/rsyslog-receiver.js';
import { parseStructuredData, sdParams } from '../helpers/structured-data.js';
import { issueServerCertificate, makeTestCa, type CertificateFiles } from '../helpers/test-certificates.js';

const NEVER = new AbortController().signal;
const BOM = '\uFEFF';

function events(from: number, count: number, record: Record<string, unknown> = {}): StreamEvent[] {
  return Array.from({ length: count }, (_, offset) => {
    const leaf = from + offset;
    return {
      id: `t1/operate-log/${leaf}`,
      kind: 'operate-log',
      tenant_id: 't1',
      leaf_index: leaf,
      record_id: `opr_${leaf}`,
      transition: 0,
      time: Date.UTC(2026, 4, 15, 8, 30, 0, leaf),
      record: { id: `opr_${leaf}`, tenant_id: 't1', action: 'login', ...record },
    };
  });
}

/** Checks that rsyslog read `message` as the RFC 5424 form of `event`, and returns its record params. */
function assertReceived(message: ReceivedMessage, event: StreamEvent): Record<string, string> {
  assert.equal(message.pri, 134);
  assert.equal(message.timestamp, new Date(event.time).toISOString());
  assert.equal(message.hostname, 'audit-1.test');
  assert.equal(message.appName, 'sealog');
  assert.equal(message.procId, '-');
  assert.equal(message.msgId, event.kind);
  assert.ok(message.msg.startsWith(BOM), 'rsyslog keeps the BOM that marks the MSG as UTF-8');
  assert.deepEqual(JSON.parse(message.msg.slice(1)), JSON.parse(JSON.stringify(eventJson(event))));
  const sd = parseStructuredData(message.structuredData);
  assert.deepEqual(
    sd.map((element) => element.id),
    ['sealog@32473', 'record@32473'],
  );
  assert.deepEqual(sdParams(sd, 'sealog@32473'), {
    id: event.id,
    tenant: event.tenant_id,
    kind: event.kind,
    leaf: String(event.leaf_index),
    record: event.record_id,
    transition: String(event.transition),
  });
  return sdParams(sd, 'record@32473');
}

async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof DeliveryError, `a DeliveryError, got ${String(error)}`);
  return error;
}

describe('syslog destination over TCP, to rsyslog', () => {
  let receiver: RsyslogReceiver;
  let destination: SyslogDestination;
  before(async () => {
    receiver = await RsyslogReceiver.create();
    await receiver.start();
    destination = new SyslogDestination({
      type: 'syslog',
      host: '127.0.0.1',
      port: receiver.port,
      transport: 'tcp',
      hostname: 'audit-1.test',
    });
  });
  after(async () => {
    await destination.close();
    await receiver.dispose();
  });

  test('a batch arrives complete and in order, its structured data and JSON body readable', async () => {
    const batch = events(0, 20);
    const delivered = await destination.deliver({ id: 'b1', events: batch }, NEVER);
    const received = await receiver.waitForMessages(20);
    assert.equal(received.length, 20);
    received.forEach((message, index) => {
      const event = batch[index];
      assert.ok(event);
      assert.deepEqual(assertReceived(message, event), {
        id: event.record_id,
        tenant_id: 't1',
        action: 'login',
      });
    });
    const header = syslogHeader({
      facility: 'local0',
      hostname: 'audit-1.test',
      appName: 'sealog',
      enterpriseNumber: 32473,
    });
    const wire = batch.reduce(
      (bytes, event) => bytes + frameOctetCounted(formatSyslogMessage(event, header)).length,
      0,
    );
    assert.equal(delivered.bytes, wire);
  });

  test('", \\, ], non-ASCII and a large record survive escaping and framing', async () => {
    const before = receiver.messages().length;
    const tricky = 'quote " backslash \\ bracket ] both \\] \\" é 日本 🔒 end\\';
    // 56,000 bytes once escaped: within the 65,535 bytes of SD that rsyslog keeps whole.
    const wide = 'ß]"\\'.repeat(7_000);
    // Past that: left out of the SD, carried by the MSG (a frame of about 900 KB).
    const huge = 'ß]"\\'.repeat(60_000) + 'x'.repeat(100_000);
    const batch = [
      ...events(100, 1, { note: tricky, nested: { list: [tricky, null], ']': '"' } }),
      ...events(101, 1, { wide, huge, after: 'kept' }),
      ...events(102, 1),
    ];
    await destination.deliver({ id: 'b2', events: batch }, NEVER);
    const received = (await receiver.waitForMessages(before + 3)).slice(before);
    assert.equal(received.length, 3);
    const [first, second, third] = received;
    assert.ok(first && second && third && batch[0] && batch[1] && batch[2]);
    const trickyParams = assertReceived(first, batch[0]);
    assert.equal(trickyParams.note, tricky);
    assert.equal(trickyParams.nested, JSON.stringify({ list: [tricky, null], ']': '"' }));
    assert.ok(
      first.structuredData.includes(
        'note="quote \\" backslash \\\\ bracket \\] both \\\\\\] \\\\\\" é 日本 🔒 end\\\\"',
      ),
      'rsyslog received the escapes of RFC 5424 §6.3.3 as sent',
    );
    // assertReceived compared the MSG, huge included, with the event's JSON.
    const wideParams = assertReceived(second, batch[1]);
    assert.equal(wideParams.wide, wide);
    assert.equal(wideParams.huge, undefined);
    assert.equal(wideParams.after, 'kept');
    assertReceived(third, batch[2]);
  });

  test('a receiver that is down fails retryably; once it is back the next batch is delivered', async () => {
    const before = receiver.messages().length;
    await receiver.stop();
    const down = await rejection(destination.deliver({ id: 'b3', events: events(200, 1) }, NEVER));
    assert.equal(down.retryable, true);
    assert.match(down.message, /ECONNREFUSED/);
    await receiver.start();
    const batch = events(200, 2);
    await destination.deliver({ id: 'b3', events: batch }, NEVER);
    const received = (await receiver.waitForMessages(before + 2)).slice(before);
    assert.deepEqual(
      received.map((message) => message.structuredData.match(/ leaf="(\d+)"/)?.[1]),
      ['200', '201'],
    );
  });

  test('an aborted delivery fails retryably', async () => {
    const controller = new AbortController();
    controller.abort(new Error('the stream stopped'));
    const aborted = await rejection(
      destination.deliver({ id: 'b4', events: events(300, 1) }, controller.signal),
    );
    assert.equal(aborted.retryable, true);
    assert.match(aborted.message, /delivery aborted: the stream stopped/);
  });
});

describe('syslog destination over TLS, to rsyslog', () => {
  let dir: string;
  let ca: CertificateFiles;
  let otherCa: CertificateFiles;
  let receiver: RsyslogReceiver;
  const destinations: SyslogDestination[] = [];
  const tlsDestination = (change: Partial<SyslogDestinationConfig> = {}): SyslogDestination => {
    const destination = new SyslogDestination({
      type: 'syslog',
      host: '127.0.0.1',
      port: receiver.port,
      transport: 'tls',
      ca: ca.pem,
      hostname: 'audit-1.test',
      ...change,
    });
    destinations.push(destination);
    return destination;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sealog-syslog-tls-'));
    ca = await makeTestCa(dir, 'ca');
    otherCa = await makeTestCa(dir, 'other-ca');
    const server = await issueServerCertificate(ca, dir, 'server');
    receiver = await RsyslogReceiver.create({
      tls: { caFile: ca.certFile, certFile: server.certFile, keyFile: server.keyFile },
    });
    await receiver.start();
  });
  after(async () => {
    await Promise.all(destinations.map((destination) => destination.close()));
    await receiver.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('a batch arrives complete and in order, the private CA trusted, 127.0.0.1 verified', async () => {
    const batch = events(0, 5, { note: 'é "tls" ]' });
    await tlsDestination().deliver({ id: 'b1', events: batch }, NEVER);
    const received = await receiver.waitForMessages(5);
    assert.equal(received.length, 5);
    received.forEach((message, index) => {
      const event = batch[index];
      assert.ok(event);
      assert.equal(assertReceived(message, event).note, 'é "tls" ]');
    });
  });

  test('server_name sets the name verified: localhost is in the certificate', async () => {
    const before = receiver.messages().length;
    const batch = events(10, 1);
    await tlsDestination({ server_name: 'localhost' }).deliver({ id: 'b2', events: batch }, NEVER);
    const [message] = (await receiver.waitForMessages(before + 1)).slice(before);
    assert.ok(message && batch[0]);
    assertReceived(message, batch[0]);
  });

  test('a certificate from another CA fails non-retryably and says to set ca', async () => {
    for (const destination of [tlsDestination({ ca: otherCa.pem }), tlsDestination({ ca: undefined })]) {
      const refused = await rejection(destination.deliver({ id: 'b3', events: events(20, 1) }, NEVER));
      assert.equal(refused.retryable, false);
      assert.match(
        refused.message,
        /TLS certificate does not verify \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/,
      );
      assert.match(refused.message, /put that CA's certificate \(PEM\) in the destination's ca/);
    }
  });

  test('a certificate without the name verified fails non-retryably and says to set server_name', async () => {
    const destination = tlsDestination({ server_name: 'syslog.example.com' });
    const refused = await rejection(destination.deliver({ id: 'b4', events: events(30, 1) }, NEVER));
    assert.equal(refused.retryable, false);
    assert.match(
      refused.message,
      /ERR_TLS_CERT_ALTNAME_INVALID.*set server_name to a name the certificate holds/,
    );
  });
});
