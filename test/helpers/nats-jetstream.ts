import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { waitFor } from './wait-for.js';

/** The NATS server (JetStream enabled) the tests use: `NATS_URL`, or the local default. */
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
/** The nats-server binary for tests that start their own server. */
const NATS_SERVER_BINARY = process.env.NATS_SERVER_BINARY ?? '/usr/sbin/nats-server';

/**
 * A connection to NATS_URL. Fails with a message saying what to start when nobody listens there:
 * CI starts the server, a developer may not have.
 */
export async function connectTestNats(): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, reconnect: false, timeout: 10_000 });
  } catch (error) {
    throw new Error(
      `the NATS server at ${NATS_URL} is not reachable (${String(error)}): start one with JetStream ` +
        `(nats-server -js) or point NATS_URL at one`,
      { cause: error },
    );
  }
}

/** A message as the stream stored it. */
export interface StoredMessage {
  subject: string;
  /** The stream's sequence number, from 1. */
  seq: number;
  /** The `Nats-Msg-Id` header: the event's id. */
  msgId: string | undefined;
  /** The body, parsed. */
  json: unknown;
}

/** A JetStream stream that only one test publishes to. */
export interface TestStream {
  readonly name: string;
  /** A subject prefix no other test uses; the stream captures `<prefix>.>`. */
  readonly prefix: string;
  /** Every stored message, in stream order, read through an ordered consumer. */
  readonly messages: () => Promise<StoredMessage[]>;
  /** Deletes the stream. */
  readonly delete: () => Promise<void>;
}

/** A name no other test (or concurrent test file) uses: a letter, then random hex. */
export function uniqueToken(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/**
 * Creates a stream capturing `<prefix>.>` for a fresh prefix, with a 2-minute duplicate window
 * (JetStream's default, stated so that de-duplication tests do not depend on it). In memory unless
 * `storage` is `file` (a stream that outlives a server restart).
 */
export async function createTestStream(
  nc: NatsConnection,
  { storage = 'memory' }: { storage?: 'memory' | 'file' } = {},
): Promise<TestStream> {
  const jsm = await jetstreamManager(nc);
  const token = uniqueToken();
  const name = `sealog_test_${token}`;
  const prefix = `sealogtest.${token}`;
  await jsm.streams.add({
    name,
    subjects: [`${prefix}.>`],
    storage: storage === 'file' ? StorageType.File : StorageType.Memory,
    duplicate_window: nanos(120_000),
  });
  return { name, prefix, messages: () => storedMessages(nc, name), delete: () => deleteStream(jsm, name) };
}

async function deleteStream(jsm: JetStreamManager, name: string): Promise<void> {
  await jsm.streams.delete(name);
}

/** Every message stream `name` holds, in stream order, read through an ordered consumer on `nc`. */
export async function storedMessages(nc: NatsConnection, name: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(name);
  const stored: StoredMessage[] = [];
  if (state.messages === 0) return stored;
  const consumer = await jetstream(nc).consumers.get(name);
  try {
    while (stored.length < state.messages) {
      const batch = await consumer.fetch({ max_messages: state.messages - stored.length, expires: 5_000 });
      for await (const message of batch) {
        stored.push({
          subject: message.subject,
          seq: message.seq,
          msgId: message.headers?.get('Nats-Msg-Id'),
          json: message.json(),
        });
      }
    }
  } finally {
    await consumer.delete().catch(() => false);
  }
  return stored;
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A nats-server the test started, with JetStream in a temporary directory. */
export interface OwnNatsServer {
  readonly url: string;
  /** Stops the process, keeping its port and JetStream directory for `start`. */
  kill(): Promise<void>;
  /** Starts the process again (after `kill`) and resolves once it accepts TCP connections. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server on a free port with JetStream and the given user and password, and resolves
 * once it accepts TCP connections.
 */
export async function startNatsServer(auth: { user: string; password: string }): Promise<OwnNatsServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sealog-nats-'));
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--user',
    auth.user,
    '--pass',
    auth.password,
    '-js',
    '-sd',
    dir,
  ];
  let running: { child: ChildProcess; exited: Promise<void> } | undefined;
  const kill = async (): Promise<void> => {
    if (running === undefined) return;
    const { child, exited } = running;
    running = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const start = async (): Promise<void> => {
    const child = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    running = { child, exited };
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(`nats-server on port ${port}`, async () => {
      assertRunning(child, output);
      return accepts(port);
    });
  };
  const stop = async (): Promise<void> => {
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, kill, start, stop };
}

function assertRunning(child: ChildProcess, output: string): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`nats-server exited (${child.exitCode ?? child.signalCode}): ${output}`);
  }
}

/** Whether a TCP connection to 127.0.0.1:`port` succeeds. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
