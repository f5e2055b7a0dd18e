import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { waitFor } from './wait-for.js';

/** A request as a receiver got it, and what it answered (undefined: not answered). */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  status?: number;
}

/** An answer: a status, a body, headers. */
export interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A real HTTP server on 127.0.0.1 (an ephemeral port, kept across down/up) that misbehaves on cue:
 * `failNext` answers the next requests with a given status, `hang` leaves requests unanswered
 * until the sender gives up (each give-up counted in `aborted`), `down` refuses connections and
 * resets open ones. What it answers otherwise is the subclass's `answer`. Shared by the webhook and
 * the HEC receivers.
 */
export abstract class CuedReceiver {
  /** Every request, in arrival order, cued failures included. */
  readonly requests: ReceivedRequest[] = [];
  /** Requests begun (their headers read), whether they were then answered, abandoned or are pending. */
  started = 0;
  /** Requests whose connection closed before they were answered (the sender gave up, or `down`). */
  aborted = 0;
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly cues: Answer[] = [];
  private hanging = false;
  private answered = 0;

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `down`). */
  async up(): Promise<void> {
    const server = createServer((request, response) => {
      this.started += 1;
      response.on('close', () => {
        if (!response.writableEnded) this.aborted += 1;
      });
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: flatten(request.headers),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        this.respond(received, response);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    this.port = address.port;
    this.server = server;
  }

  /** Stops listening and resets every open connection: the receiver is down. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Answers each of the next `count` requests with `answer` instead of accepting them. */
  failNext(count: number, answer: Answer): void {
    for (let n = 0; n < count; n += 1) this.cues.push(answer);
  }

  /** From now on (until `hang(false)`), requests are read and never answered. */
  hang(on = true): void {
    this.hanging = on;
  }

  /** Waits for `count` requests in all. */
  async waitForRequests(count: number): Promise<void> {
    await waitFor(`${count} requests`, () => this.requests.length >= count);
  }

  /** Waits until the sender abandoned `count` requests in all. */
  async waitForAborts(count: number): Promise<void> {
    await waitFor(`${count} aborted requests`, () => this.aborted >= count);
  }

  /**
   * Waits until no request is pending: each begun was answered or abandoned. After a timeout this
   * holds whether the sender gave up while connecting, sending, or waiting for the answer.
   */
  async waitForSettled(): Promise<void> {
    await waitFor('no pending request', () => this.started === this.aborted + this.answered);
  }

  async close(): Promise<void> {
    await this.down();
  }

  /** The answer to a request no cue is for. */
  protected abstract answer(request: ReceivedRequest): Answer;

  private respond(received: ReceivedRequest, response: ServerResponse): void {
    if (this.hanging) return;
    const answer = this.cues.shift() ?? this.answer(received);
    received.status = answer.status;
    this.answered += 1;
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body ?? '');
  }
}

/** A batch that verified, as the receiver read it. */
export interface VerifiedBatch {
  readonly id: string;
  /** webhook-timestamp, epoch seconds. */
  readonly timestamp: number;
  readonly payload: { type: string; timestamp: string; data: { events: EventJson[] } };
  readonly request: ReceivedRequest;
}

/**
 * A Standard Webhooks receiver: verifies each request with the standardwebhooks package (the
 * reference implementation, not sealog's signing code) against the one secret it knows, records
 * the batches that verify and answers 204, and answers 401 to the others (recording why in
 * `rejections`). `tamper` alters a body before verification, as a man in the middle would.
 */
export class WebhookReceiver extends CuedReceiver {
  readonly batches: VerifiedBatch[] = [];
  /** Why requests failed verification, in order. */
  readonly rejections: string[] = [];
  tamper: ((body: string) => string) | undefined;
  private readonly webhook: Webhook;

  private constructor(secret: string) {
    super();
    this.webhook = new Webhook(secret);
  }

  /** A receiver knowing `secret` (`whsec_…`), listening. */
  static async start(secret: string): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret);
    await receiver.up();
    return receiver;
  }

  /** The URL to configure: `<origin>/hooks/sealog`. */
  get url(): string {
    return `${this.origin}/hooks/sealog`;
  }

  /** The events of every verified batch, in order of arrival (retries deliver them again). */
  get events(): EventJson[] {
    return this.batches.flatMap((batch) => batch.payload.data.events);
  }

  /** Waits until verified batches hold `count` events in all. */
  async waitForEvents(count: number): Promise<void> {
    await waitFor(`${count} verified events`, () => this.events.length >= count);
  }

  protected answer(request: ReceivedRequest): Answer {
    const body = this.tamper === undefined ? request.body : this.tamper(request.body);
    let payload: unknown;
    try {
      payload = this.webhook.verify(body, request.headers);
    } catch (error) {
      this.rejections.push(error instanceof Error ? error.message : String(error));
      return { status: 401, body: 'signature verification failed' };
    }
    this.batches.push({
      id: request.headers['webhook-id'] ?? '',
      timestamp: Number(request.headers['webhook-timestamp']),
      payload: payload as VerifiedBatch['payload'],
      request,
    });
    return { status: 204 };
  }
}

/** Node's headers as single strings (a repeated header joined with `, `). */
function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
