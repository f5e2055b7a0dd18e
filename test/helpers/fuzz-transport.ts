import http from 'node:http';
import net from 'node:net';
import { tuyaHeaders, type BearerHeaders, type TuyaProjectCredentials } from './fuzz-credentials.js';
import type { FuzzRequest } from './fuzz-request.js';

// Sends fuzzed requests over real HTTP: fetch (undici), node:http, or a raw TCP socket for framings
// no client library writes. Every send is bounded by a timeout and never throws.

/** What came back: a response, a connection closed without one, nothing in time, or a request the client refused. */
export type Outcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: 'closed'; detail: string }
  | { kind: 'timeout'; detail: string }
  | { kind: 'unsendable'; detail: string };

/** What a request needs to go out: where to, credentials, and limits. */
export interface SendContext {
  baseUrl: string;
  bearer: BearerHeaders;
  tuya: TuyaProjectCredentials;
  /** A refresh token for `{{refresh}}` in a target; each works once. */
  refreshToken: () => string;
  timeoutMs: number;
  agent: http.Agent;
}

/** A request as sent: the target after the transport's normalization, and every header added. */
export interface SentRequest {
  wireTarget: string;
  headers: [string, string][];
  outcome: Outcome;
}

/** The last request sent on each keep-alive socket of the node:http agent: a hang may be its doing. */
const lastRequestOn = new WeakMap<net.Socket, number>();

const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
};

/** Sends `request` the way its transport says and returns the outcome; resolves within about timeoutMs. */
export async function sendFuzzRequest(request: FuzzRequest, context: SendContext): Promise<SentRequest> {
  const target = request.target.includes('{{refresh}}')
    ? request.target.replace('{{refresh}}', context.refreshToken())
    : request.target;
  const base = new URL(context.baseUrl);
  let wireTarget = target;
  if (request.transport === 'fetch') {
    try {
      const url = new URL(target, base);
      wireTarget = url.pathname + url.search;
    } catch (error) {
      return { wireTarget, headers: [], outcome: { kind: 'unsendable', detail: errorText(error) } };
    }
  }
  const credentials: [string, string][] = [];
  if (request.credentials.scheme === 'tuya') {
    credentials.push(...tuyaHeaders(request, wireTarget, request.credentials.kind, context.tuya));
  } else {
    const authorization = context.bearer[request.credentials.kind];
    if (authorization !== undefined) credentials.push(['authorization', authorization]);
  }
  const headers = [...credentials, ...request.headers];
  const send = request.transport === 'fetch' ? viaFetch : request.transport === 'http' ? viaHttp : viaSocket;
  const outcome = await send(request, { url: base, target: wireTarget, headers, context });
  return { wireTarget, headers, outcome };
}

interface Wire {
  url: URL;
  target: string;
  headers: [string, string][];
  context: SendContext;
}

async function viaFetch(request: FuzzRequest, wire: Wire): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(new URL(wire.target, wire.url), {
      method: request.method,
      headers: wire.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(wire.context.timeoutMs),
    });
    const body = Buffer.from(await response.arrayBuffer());
    return { kind: 'response', status: response.status, headers: Object.fromEntries(response.headers), body };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      return { kind: 'timeout', detail: 'fetch' };
    const text = errorText(error);
    return /socket|closed|ECONNRESET|terminated/i.test(text)
      ? { kind: 'closed', detail: text }
      : { kind: 'unsendable', detail: text };
  }
}

function viaHttp(request: FuzzRequest, wire: Wire): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let client: http.ClientRequest;
    try {
      client = http.request({
        host: wire.url.hostname,
        port: wire.url.port,
        method: request.method,
        path: wire.target,
        // Without an explicit length Node writes a GET or HEAD body unframed after the headers.
        headers: {
          ...Object.fromEntries(wire.headers),
          ...(request.body === undefined ? {} : { 'content-length': String(request.body.length) }),
        },
        agent: wire.context.agent,
      });
    } catch (error) {
      resolve({ kind: 'unsendable', detail: errorText(error) });
      return;
    }
    let previous: number | undefined;
    client.on('socket', (socket) => {
      previous = lastRequestOn.get(socket);
      lastRequestOn.set(socket, request.index);
    });
    const timer = setTimeout(() => {
      const after =
        previous === undefined
          ? 'on a new connection'
          : `on the keep-alive connection of #${previous} (replay: FUZZ_CONCURRENCY=1 FUZZ_ONLY=${previous},${request.index})`;
      finish({ kind: 'timeout', detail: after });
      client.destroy();
    }, wire.context.timeoutMs);
    client.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => {
        finish({ kind: 'closed', detail: `response aborted: ${errorText(error)}` });
      });
      response.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers))
          headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
        finish({ kind: 'response', status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    // Node's client hands a CONNECT answer to 'connect' with the socket, never to 'response'.
    client.on('connect', (response, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers))
          headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
        finish({ kind: 'response', status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    client.on('error', (error) => {
      const reused = previous === undefined ? '' : ` (on the keep-alive connection of #${previous})`;
      finish({ kind: 'closed', detail: errorText(error) + reused });
    });
    client.end(request.body);
  });
}

/** The bytes of a raw request in `request.framing`; `halfClose` ends our side after writing. */
function rawMessage(request: FuzzRequest, wire: Wire): { bytes: Buffer; halfClose: boolean } {
  const body = request.body ?? Buffer.alloc(0);
  const lines = [
    `${request.method} ${wire.target} ${request.framing === 'http10' ? 'HTTP/1.0' : 'HTTP/1.1'}`,
  ];
  if (request.framing !== 'no-host' && request.framing !== 'http10') lines.push(`host: ${wire.url.host}`);
  if (request.framing !== 'http10') lines.push('connection: close');
  const headerLines = wire.headers.map(([name, value]) => `${name}: ${value}`);
  lines.push(...headerLines);
  if (request.framing === 'duplicate-headers') lines.push(...headerLines, 'content-type: text/plain');
  if (request.framing === 'bad-header-name') lines.push('bad header: x', 'x-nul: a\u0000b');
  if (request.framing === 'huge-header')
    lines.push(`x-fuzz-padding: ${'a'.repeat(20_000 + (request.index % 20_000))}`);
  let payload = body;
  let halfClose = false;
  if (request.framing === 'truncated-body') {
    // Announces more bytes than it sends, then ends its side of the connection.
    payload = body.length > 0 ? body : Buffer.from('[{"a":1}]');
    lines.push(`content-length: ${payload.length + 17}`);
    halfClose = true;
  } else if (request.framing === 'bad-chunked') {
    lines.push('transfer-encoding: chunked');
    payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (request.framing === 'cl-and-te') {
    const chunked = Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    lines.push(`content-length: ${body.length}`, 'transfer-encoding: chunked');
    payload = chunked;
  } else if (body.length > 0 || request.method === 'POST' || request.method === 'PATCH') {
    lines.push(`content-length: ${body.length}`);
  }
  const eol = request.framing === 'bare-lf' ? '\n' : '\r\n';
  return { bytes: Buffer.concat([Buffer.from(lines.join(eol) + eol + eol, 'utf8'), payload]), halfClose };
}

function viaSocket(request: FuzzRequest, wire: Wire): Promise<Outcome> {
  return new Promise((resolve) => {
    const { bytes, halfClose } = rawMessage(request, wire);
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect({ host: wire.url.hostname, port: Number(wire.url.port) });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', detail: 'raw socket' });
    }, wire.context.timeoutMs);
    const headRequest = request.method === 'HEAD';
    socket.on('connect', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parseResponse(Buffer.concat(chunks), headRequest, false);
      if (parsed !== undefined) finish(parsed);
    });
    socket.on('error', () => {
      // 'close' follows and decides.
    });
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      finish(
        parseResponse(data, headRequest, true) ?? {
          kind: 'closed',
          detail:
            data.length === 0
              ? 'connection closed without a byte'
              : `unparsable answer ${JSON.stringify(data.toString('latin1').slice(0, 120))}`,
        },
      );
    });
  });
}

/**
 * The first final response in `data`, or undefined while incomplete. `ended`: the server closed
 * the connection, so a body without a length ends here.
 */
export function parseResponse(data: Buffer, headRequest: boolean, ended: boolean): Outcome | undefined {
  let rest = data;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const [statusLine = '', ...headerLines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1];
    if (status === undefined) return undefined;
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = rest.subarray(headEnd + 4);
    const code = Number(status);
    if (code >= 100 && code < 200) {
      rest = body;
      continue;
    }
    if (headRequest || code === 204 || code === 304)
      return { kind: 'response', status: code, headers, body: Buffer.alloc(0) };
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const decoded = dechunk(body);
      if (decoded === undefined && !ended) return undefined;
      return { kind: 'response', status: code, headers, body: decoded ?? body };
    }
    const length = headers['content-length'];
    if (length !== undefined && body.length >= Number(length))
      return { kind: 'response', status: code, headers, body: body.subarray(0, Number(length)) };
    return ended ? { kind: 'response', status: code, headers, body } : undefined;
  }
}

function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}
