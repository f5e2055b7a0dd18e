import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between sealog and PostgreSQL on a port of its own, which can fail the way networks
 * do: `cut()` refuses and resets (the listener closes, every connection is reset); `silence()` is a
 * partition (connections stay open, new ones are accepted, and no byte goes through either way)
 * until `heal()` lets the held bytes through again.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  private silent = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens (again, on the same port after a cut). */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
      this.pairs.add(pair);
      client.on('error', () => {
        this.drop(pair);
      });
      client.on('close', () => {
        this.drop(pair);
      });
      if (this.silent) client.pause();
      else this.connect(pair);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    this.port = address.port;
    this.server = server;
  }

  /** Refuses new connections and resets the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
    }
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }

  /** Stops forwarding bytes, keeping every connection open and accepting new ones. */
  silence(): void {
    this.silent = true;
    for (const { client, upstream } of this.pairs) {
      if (upstream === undefined) continue;
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again, the bytes held meanwhile first. */
  heal(): void {
    this.silent = false;
    for (const pair of this.pairs) {
      if (pair.upstream === undefined) this.connect(pair);
      else {
        pair.client.pipe(pair.upstream);
        pair.upstream.pipe(pair.client);
      }
    }
  }

  private connect(pair: { client: Socket; upstream: Socket | undefined }): void {
    const upstream = createConnection(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => {
      this.drop(pair);
    });
    upstream.on('close', () => {
      this.drop(pair);
    });
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  private drop(pair: { client: Socket; upstream: Socket | undefined }): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

/**
 * A proxy in front of the PostgreSQL of `databaseUrl`, open, and the same URL pointed at it: a
 * DATABASE_URL whose network the test can cut or silence.
 */
export async function proxyInFrontOf(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(databaseUrl);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.open();
  target.host = `127.0.0.1:${proxy.port}`;
  return { proxy, url: target.toString() };
}
