import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { DeliveryError, type StreamEvent } from '../../src/streams/destinations/destination.js';
import {
  SyslogDestination,
  type SyslogDestinationConfig,
} from '../../src/streams/destinations/syslog-destination.js';
import { waitFor } from '../helpers/wait-for.js';

const NEVER = new AbortController().signal;

/** A TCP server that keeps what each connection sent, and its sockets, for the test to act on. */
class RecordingServer {
  readonly connections: { socket: net.Socket; bytes: number; closed: boolean }[] = [];
  private readonly server: net.Server;

  private constructor(reading: boolean) {
    this.server = net.createServer((socket) => {
      const connection = { socket, bytes: 0, closed: false };
      this.connections.push(connection);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        connection.closed = true;
      });
      if (reading) {
        socket.on('data', (chunk: Buffer) => {
          connection.bytes += chunk.length;
        });
      } else socket.pause();
    });
  }

  /** Listens on 127.0.0.1; `reading` false: it accepts connections and never reads nor answers. */
  static async listen(reading: boolean): Promise<RecordingServer> {
    const recording = new RecordingServer(reading);
    await new Promise<void>((resolve) => recording.server.listen(0, '127.0.0.1', resolve));
    return recording;
  }

  get port(): number {
    const address = this.server.address();
    assert.ok(address !== null && typeof address === 'object');
    return address.port;
  }

  async close(): Promise<void> {
    for (const { socket } of this.connections) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function event(leaf: number, note = ''): StreamEvent {
  return {
    id: `t1/access-log/${leaf}`,
    kind: 'access-log',
    tenant_id: 't1',
    leaf_index: leaf,
    record_id: `acc_${leaf}`,
    transition: 0,
    time: Date.UTC(2026, 4, 15),
    record: { id: `acc_${leaf}`, note },
  };
}

/** 40 events of about 1 MB: more than loopback's socket buffers take from a peer that does not read. */
const OVERSIZED = Array.from({ length: 40 }, (_, leaf) => event(leaf, 'x'.repeat(1_000_000)));

async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof DeliveryError, `a DeliveryError, got ${String(error)}`);
  return error;
}

describe('syslog destination connections', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
  });
  const setUp = async (reading: boolean, change: Partial<SyslogDestinationConfig> = {}) => {
    const server = await RecordingServer.listen(reading);
    const destination = new SyslogDestination({
      type: 'syslog',
      host: '127.0.0.1',
      port: server.port,
      transport: 'tcp',
      ...change,
    });
    cleanups.push(
      () => destination.close(),
      () => server.close(),
    );
    return { server, destination };
  };

  test('a connection the receiver closed is noticed before the next batch, which goes over a new one', async () => {
    const { server, destination } = await setUp(true);
    const first = await destination.deliver({ id: 'b1', events: [event(0)] }, NEVER);
    await waitFor('the first batch', () => server.connections[0]?.bytes === first.bytes);
    server.connections[0]?.socket.end();
    await waitFor('the first connection to close', () => server.connections[0]?.closed === true);
    const second = await destination.deliver({ id: 'b2', events: [event(1), event(2)] }, NEVER);
    await waitFor('the second batch', () => server.connections[1]?.bytes === second.bytes);
    assert.equal(server.connections.length, 2);
    assert.equal(server.connections[0]?.bytes, first.bytes);
  });

  test('close() ends the connection, and deliver refuses afterwards', async () => {
    const { server, destination } = await setUp(true);
    await destination.deliver({ id: 'b1', events: [event(0)] }, NEVER);
    await destination.close();
    await waitFor('the connection to close', () => server.connections[0]?.closed === true);
    const refused = await rejection(destination.deliver({ id: 'b2', events: [event(1)] }, NEVER));
    assert.equal(refused.retryable, true);
  });

  test('a TLS handshake that never completes times out retryably', async () => {
    const { destination } = await setUp(false, { transport: 'tls', timeout_ms: 100 });
    const timedOut = await rejection(destination.deliver({ id: 'b1', events: [event(0)] }, NEVER));
    assert.equal(timedOut.retryable, true);
    assert.match(timedOut.message, /not connected within 100 ms/);
  });

  test('an abort while connecting rejects retryably and drops the connection', async () => {
    // The server reads (and so sees the close) but never answers the ClientHello.
    const { server, destination } = await setUp(true, { transport: 'tls' });
    const controller = new AbortController();
    const delivery = rejection(destination.deliver({ id: 'b1', events: [event(0)] }, controller.signal));
    await waitFor('the connection', () => server.connections.length === 1);
    controller.abort(new Error('the stream stopped'));
    const aborted = await delivery;
    assert.equal(aborted.retryable, true);
    assert.match(aborted.message, /delivery aborted: the stream stopped/);
    await waitFor('the connection to close', () => server.connections[0]?.closed === true);
  });

  test('a receiver that stops reading fails the write retryably after timeout_ms', async () => {
    const { server, destination } = await setUp(false, { timeout_ms: 1000 });
    const stalled = await rejection(destination.deliver({ id: 'b1', events: OVERSIZED }, NEVER));
    assert.equal(stalled.retryable, true);
    assert.match(stalled.message, /the server did not take \d+ bytes within 1000 ms/);
    // Reading now lets the server see the end of the connection the destination dropped.
    server.connections[0]?.socket.resume();
    await waitFor('the connection to close', () => server.connections[0]?.closed === true);
  });

  test('a connection reset during a write rejects it retryably', async () => {
    const { server, destination } = await setUp(false);
    const delivery = rejection(destination.deliver({ id: 'b1', events: OVERSIZED }, NEVER));
    await waitFor('the connection', () => server.connections.length === 1);
    server.connections[0]?.socket.resetAndDestroy();
    const reset = await delivery;
    assert.equal(reset.retryable, true);
    assert.match(reset.message, /ECONNRESET|EPIPE|closed the connection|connection closed/);
  });

  test('a refused connection fails retryably', async () => {
    const { server, destination } = await setUp(true);
    await server.close();
    const refused = await rejection(destination.deliver({ id: 'b1', events: [event(0)] }, NEVER));
    assert.equal(refused.retryable, true);
    assert.match(refused.message, /ECONNREFUSED/);
  });
});
