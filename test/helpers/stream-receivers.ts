/**
 * The four real receivers of log streams behind one face, for the scenarios every destination must
 * pass (test/streams/stream-receivers.test.ts): a Standard Webhooks receiver, Debian's rsyslogd,
 * a nats-server with JetStream of the test's own, a Splunk HEC-shaped receiver.
 */
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { HecReceiver } from './hec-receiver.js';
import { startNatsServer, storedMessages, uniqueToken } from './nats-jetstream.js';
import { RsyslogReceiver } from './rsyslog-receiver.js';
import { WebhookReceiver } from './webhook-receiver.js';

/** A running receiver: what a stream to it is configured with, what it got, and an outage on cue. */
export interface StreamReceiver {
  /** The stream's `destination`, secrets included. */
  readonly destination: Record<string, unknown>;
  /** Every event it stored, in the order it got them (duplicates included). */
  events(): Promise<EventJson[]>;
  /** Makes it unreachable (deliveries fail and are retried) until `restore`. */
  outage(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** The receivers by destination type. */
export const RECEIVERS: Readonly<Record<string, () => Promise<StreamReceiver>>> = {
  webhook: async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = await WebhookReceiver.start(secret);
    return {
      destination: { type: 'webhook', url: receiver.url, secrets: [secret] },
      events: () => Promise.resolve(receiver.events),
      outage: () => receiver.down(),
      restore: () => receiver.up(),
      close: () => receiver.close(),
    };
  },
  'splunk-hec': async () => {
    const token = randomBytes(16).toString('hex');
    const receiver = await HecReceiver.start({ token });
    return {
      destination: { type: 'splunk-hec', url: receiver.origin, token },
      events: () => Promise.resolve(receiver.events.map((event) => event.event)),
      outage: () => receiver.down(),
      restore: () => receiver.up(),
      close: () => receiver.close(),
    };
  },
  syslog: async () => {
    const receiver = await RsyslogReceiver.create();
    await receiver.start();
    return {
      destination: { type: 'syslog', host: '127.0.0.1', port: receiver.port, transport: 'tcp' },
      // The body is the event's JSON after the BOM RFC 5424 puts before UTF-8 text.
      events: () =>
        Promise.resolve(
          receiver.messages().map((message) => JSON.parse(message.msg.replace(/^\uFEFF/, '')) as EventJson),
        ),
      outage: () => receiver.stop(),
      restore: () => receiver.start(),
      close: () => receiver.dispose(),
    };
  },
  nats: async () => {
    const auth = { user: 'sealog', password: randomBytes(12).toString('hex') };
    const server = await startNatsServer(auth);
    const name = `sealog_${uniqueToken()}`;
    const prefix = `audit.${uniqueToken()}`;
    let nc: NatsConnection | undefined;
    const connection = async () => {
      if (nc === undefined || nc.isClosed())
        nc = await connect({ servers: server.url, user: auth.user, pass: auth.password });
      return nc;
    };
    // On disk, so that it outlives the outage (the server's restart).
    await (await jetstreamManager(await connection())).streams.add({ name, subjects: [`${prefix}.>`] });
    return {
      destination: { type: 'nats', servers: server.url, subject_prefix: prefix, ...auth },
      events: async () =>
        (await storedMessages(await connection(), name)).map((message) => message.json as EventJson),
      outage: async () => {
        await nc?.close();
        await server.kill();
      },
      restore: () => server.start(),
      close: async () => {
        await nc?.close();
        await server.stop();
      },
    };
  },
};
