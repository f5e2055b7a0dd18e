import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** A connection to `baseUrl` that records what the server sends and when it closes. */
function open(baseUrl: string): { socket: Socket; received: () => string; closed: Promise<void> } {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve();
    }),
  );
  return { socket, received: () => text, closed };
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (!socket.connecting) resolve();
    else
      socket.once('connect', () => {
        resolve();
      });
  });
}

/** The status and JSON body of the last response in `text`. */
function lastResponse(text: string): { status: number; body: Record<string, unknown> } {
  const start = text.lastIndexOf('HTTP/1.1 ');
  const status = Number(text.slice(start + 9, start + 12));
  const body = text.slice(text.indexOf('\r\n\r\n', start) + 4);
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}

describe('slow and greedy clients', () => {
  let api: TestServer;
  let writer: string;
  let admin: string;
  before(async () => {
    api = await startTestServer({
      REQUEST_TIMEOUT: '2000',
      HEADERS_TIMEOUT: '1000',
      KEEP_ALIVE_TIMEOUT: '500',
      MAX_CONNECTIONS: '60',
      BODY_LIMIT: '100000',
    });
    writer = await api.token({ sub: 'svc', tenant_id: 'tnt_s', roles: ['audit:write'] });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_s', roles: ['admin'] });
  });
  after(() => api.close());

  test('bodies trickled a byte at a time get 408 in the AuthMS shape and are closed; others are served meanwhile', async () => {
    const trickling = Array.from({ length: 40 }, () => open(api.url));
    const head =
      'POST /v1/ingest/operate-logs HTTP/1.1\r\nHost: sealog\r\ncontent-type: application/json\r\n' +
      `authorization: Bearer ${writer}\r\ncontent-length: 1000\r\n\r\n[`;
    for (const { socket } of trickling) socket.write(head);
    let open_ = true;
    const drip = setInterval(() => {
      for (const { socket } of trickling) if (open_ && !socket.destroyed) socket.write(' ');
    }, 100);
    try {
      for (let i = 0; i < 20; i++) {
        const list = await api.request('GET', '/admin/communication/logs', { token: admin });
        assert.equal(list.status, 200, 'a normal client is served while the slow ones hold connections');
      }
      await Promise.all(trickling.map(({ closed }) => closed));
    } finally {
      open_ = false;
      clearInterval(drip);
    }
    for (const { received } of trickling) {
      const { status, body } = lastResponse(received());
      assert.equal(status, 408);
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp']);
      assert.equal(body.code, 408);
      assert.match(String(body.message), /did not arrive in time/);
    }
    const stored = await api.request('GET', '/admin/communication/logs', { token: admin });
    assert.equal(stored.status, 200);
  });

  test('headers that never end get 408 and the socket closes', async () => {
    const slow = open(api.url);
    slow.socket.write('GET /admin/communication/logs HTTP/1.1\r\nHost: sealog\r\n');
    await slow.closed;
    assert.equal(lastResponse(slow.received()).status, 408);
  });

  test('an idle keep-alive connection is closed by the server', async () => {
    const idle = open(api.url);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: sealog\r\n\r\n');
    await idle.closed;
    assert.match(idle.received(), /^HTTP\/1\.1 200 /);
  });

  test('an oversized chunked body ends in a readable 413, not a broken pipe', async () => {
    const { hostname, port } = new URL(api.url);
    const outcome = await new Promise<string>((resolve) => {
      const request = httpRequest(
        {
          hostname,
          port,
          method: 'POST',
          path: '/v1/ingest/operate-logs',
          headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => {
            resolve(`${response.statusCode} ${body}`);
          });
        },
      );
      request.on('error', (error) => {
        resolve(`error ${error.message}`);
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 20 * 1024 * 1024) {
          sent += chunk.length;
          if (!request.write(chunk)) {
            request.once('drain', pump);
            return;
          }
        }
        request.end();
      };
      pump();
    });
    assert.match(outcome, /^413 \{"code":413,"message":"request body is larger than the configured limit/);
  });
});

describe('a cap on concurrent connections', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({
      MAX_CONNECTIONS: '5',
      HEADERS_TIMEOUT: '600000',
      REQUEST_TIMEOUT: '600000',
    });
  });
  after(() => api.close());

  test('connections beyond MAX_CONNECTIONS are closed as they arrive; once some end, requests are served', async () => {
    const held = Array.from({ length: 5 }, () => open(api.url));
    await Promise.all(held.map(({ socket }) => connected(socket)));
    // Each holds its connection with headers that are not finished yet.
    for (const { socket } of held) socket.write('GET /healthz HTTP/1.1\r\n');
    const extra = open(api.url);
    await extra.closed;
    assert.equal(extra.received(), '', 'closed without an answer');
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map(({ closed }) => closed));
    let status = 0;
    // The server counts a connection as gone when it sees the close, a moment after the client.
    while (status !== 200) {
      status = await fetch(`${api.url}/healthz`).then(
        (response) => response.status,
        () => 0,
      );
    }
    assert.equal(status, 200);
  });
});
