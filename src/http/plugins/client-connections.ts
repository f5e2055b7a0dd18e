import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { HttpLimits } from '../../config.js';
import { errorReply, sendError } from './error-replies.js';

/**
 * Longest path parameter, in characters as sent: the longest one a route takes (a 256-character
 * refresh token; ids are at most 128) with every character percent-encoded. Longer ones get 414.
 */
export const MAX_PARAM_LENGTH = 3 * 256;

/** The latest request of each socket, to answer its errors in the right API's shape. */
const latest = new WeakMap<Socket, { request: FastifyRequest; reply: FastifyReply }>();

/**
 * Fastify options that bound what one client may hold: time for headers, for the whole request and
 * for an idle keep-alive connection, the length of a path parameter; and errors raised before a
 * route runs (malformed URLs, over-long parameters, malformed HTTP) answered in each API's shape.
 */
export function clientConnectionOptions(limits: HttpLimits): FastifyHttpOptions<Server> {
  return {
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      // A request without Host is refused by sealog, in its API's shape, not by Node with an empty 400.
      requireHostHeader: false,
      // Node checks the headers timeout against the request timeout as it creates the server.
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the two timeouts every 30 s by default: a 30 s limit would then fire at up to 60 s.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: sendError,
    clientErrorHandler: answerClientError,
  };
}

/**
 * Caps the connections of `app`'s server, remembers the latest request of each socket, refuses
 * HTTP/1.1 requests without a Host header and answers CONNECT (which Node would drop unanswered).
 */
export function limitConnections(app: FastifyInstance, limits: HttpLimits): void {
  app.server.maxConnections = limits.maxConnections;
  app.addHook('onRequest', (request, reply, done) => {
    latest.set(request.raw.socket, { request, reply });
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      done(Object.assign(new Error('HTTP/1.1 requests need a Host header'), { statusCode: 400 }));
      return;
    }
    done();
  });
  app.server.on('connect', (request: IncomingMessage, socket: Socket) => {
    answerOnSocket(socket, request.url ?? '/', 405, 'CONNECT is not supported: sealog is not a proxy');
  });
}

/** Node's parser error codes, in words a client can act on. */
function describeClientError(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        message: 'the request did not arrive in time (REQUEST_TIMEOUT, HEADERS_TIMEOUT); send it again',
      };
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        message: 'the request line and headers are larger than 16 KiB; shorten the URL or the headers',
      };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'unknown HTTP method; use GET, HEAD, POST, PUT, PATCH or DELETE' };
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'the body framing is malformed (chunked encoding or Content-Length)' };
    default:
      return { status: 400, message: `malformed HTTP request (${code ?? 'unknown error'})` };
  }
}

/** The path of the request line in the bytes Node could not parse, when it got that far. */
function requestPathOf(rawPacket: unknown): string | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  const requestLine =
    rawPacket
      .subarray(0, 8 * 1024)
      .toString('latin1')
      .split('\r\n', 1)[0] ?? '';
  // The first word that looks like a path: a malformed method may hold spaces of its own.
  return requestLine.split(' ').find((word) => word.startsWith('/'));
}

/**
 * Node's `clientError`: the request could not be read (malformed, too large, too slow). Answers in
 * the shape of the API the request was for, when its path is known, then closes the connection.
 * Nothing is written once a response has begun: the socket is only closed.
 */
function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const current = latest.get(socket);
  const answered = current?.reply.raw.headersSent === true;
  // Answered before its body arrived (a 401, a 413): the body is what timed out or broke; an answered
  // and complete request means the error belongs to the next one on this keep-alive connection.
  if ((answered && !current.request.raw.complete) || !socket.writable) {
    socket.destroy();
    return;
  }
  const url = (answered ? undefined : current?.request.url) ?? requestPathOf(error.rawPacket) ?? '/';
  const { status, message } = describeClientError(error.code);
  this.log.info({ code: error.code, statusCode: status }, 'malformed request refused');
  answerOnSocket(socket, url, status, message);
}

/** Writes the error answer for `url` straight to `socket` and closes it once written. */
function answerOnSocket(socket: Socket, url: string, status: number, message: string): void {
  const answer = errorReply(url, Object.assign(new Error(message), { statusCode: status }));
  const body = JSON.stringify(answer.body);
  const head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n`;
  socket.end(
    `${head}Content-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
