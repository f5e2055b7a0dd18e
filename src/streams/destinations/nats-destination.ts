import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { type Delivered, type DeliveryBatch, DeliveryError, type Destination } from './destination.js';
import { eventJson } from './event-json.js';
import {
  connectionOptions,
  DEFAULT_NATS_TIMEOUT_MS,
  DEFAULT_SUBJECT_PREFIX,
  NATS_SECRET_FIELDS,
  type NatsDestinationConfig,
  natsDestinationProblem,
} from './nats-config.js';
import { natsDeliveryError, type NatsFailureContext } from './nats-errors.js';
import { natsSubject } from './nats-subjects.js';

export {
  DEFAULT_SUBJECT_PREFIX,
  NATS_SECRET_FIELDS,
  type NatsDestinationConfig,
  NatsDestinationSchema,
  natsDestinationProblem,
} from './nats-config.js';
export { decodeSubjectToken, encodeSubjectToken, natsSubject, parseNatsSubject } from './nats-subjects.js';

/**
 * Events published before the first of them is acknowledged. Bounds the memory and the server's
 * backlog a large batch takes, and how many events may be on the wire after one that fails.
 */
export const NATS_PUBLISH_WINDOW = 256;

const encoder = new TextEncoder();

/**
 * Publishes each event as a JetStream message on `<prefix>.<tenant>.<kind>` (see nats-subjects.ts),
 * its body the event's JSON (event-json.ts), its `Nats-Msg-Id` the event's id: a stream drops a
 * redelivered event within its duplicate window (2 minutes unless configured otherwise).
 *
 * Events are pipelined on one connection: up to NATS_PUBLISH_WINDOW are in flight, and the batch
 * is delivered once every PubAck arrived; the first failure in event order is the one reported.
 * NATS keeps one connection's messages in order, so a stream stores each (tenant, kind) log in leaf
 * order. Against a local server (a busy 2-core machine) pipelining published 8,000–15,000
 * events/s where waiting for each PubAck before the next managed 1,300–3,800; over a link with
 * real latency, waiting costs a round trip per event. Two cases could break the order, and are
 * kept out:
 * - a reconnect that resends buffered messages after ones the lost connection dropped: the client
 *   never reconnects by itself; a lost connection fails the batch (retryable) and the next
 *   delivery connects afresh, so the server only ever receives a prefix of what was written;
 * - publishing on after a refusal: once an event fails, no event beyond the window is sent.
 * What remains: a stream that refuses one event but stores later ones already in the window,
 * e.g. a larger event over max_msg_size (a 4xx: the stream pauses for an admin) or over a full
 * stream's max_bytes with discard new (a 5xx: retried, and the refused event lands after them).
 * Receivers that must be strict can check `leaf_index`.
 *
 * Connects lazily on the first delivery, and again after a lost connection. Credentials appear in
 * no error message.
 */
export class NatsDestination implements Destination {
  readonly #options: NodeConnectionOptions;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #secrets: readonly string[];
  #connection: { nc: NatsConnection; js: JetStreamClient } | undefined;
  /** A connection under way, kept so that a delivery aborted while connecting leaks nothing. */
  #connecting: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  #closed = false;

  /** @throws Error naming the problem (never a secret) when `config` is invalid. */
  constructor(config: NatsDestinationConfig) {
    const problem = natsDestinationProblem(config);
    if (problem !== undefined) throw new Error(`invalid NATS destination: ${problem}`);
    this.#options = connectionOptions(config);
    this.#prefix = config.subject_prefix ?? DEFAULT_SUBJECT_PREFIX;
    this.#timeoutMs = config.timeout_ms ?? DEFAULT_NATS_TIMEOUT_MS;
    this.#secrets = NATS_SECRET_FIELDS.map((field) => config[field]).filter(
      (value): value is string => value !== undefined,
    );
  }

  /** The subject prefix in use (the configured one or `sealog`). */
  get subjectPrefix(): string {
    return this.#prefix;
  }

  /**
   * Publishes the batch and resolves once JetStream acknowledged every event (a duplicate's
   * PubAck counts: the stream holds the event). `bytes` is the sum of the message bodies' bytes.
   * Rejects with a DeliveryError only; a retryable one when `signal` aborts.
   */
  async deliver(batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered> {
    const abort = abortion(signal);
    try {
      if (signal.aborted) throw abortedError();
      if (this.#closed) throw new DeliveryError('the NATS destination is closed', true);
      const { js } = await Promise.race([this.#connect(), abort.promise]);
      return await Promise.race([this.#publish(js, batch, signal), abort.promise]);
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      throw natsDeliveryError(error, this.#context());
    } finally {
      abort.dispose();
    }
  }

  /** Drains the connection (pending PubAcks arrive, then it closes); deliver is not called again. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    const nc = this.#connection?.nc;
    this.#connection = undefined;
    if (nc === undefined || nc.isClosed()) return;
    try {
      await nc.drain();
    } catch {
      // Draining fails only on a connection that closed meanwhile: nothing is left to release.
      await nc.close();
    }
  }

  #context(subject?: string): NatsFailureContext {
    return { subject, prefix: this.#prefix, timeoutMs: this.#timeoutMs, secrets: this.#secrets };
  }

  /** The open connection, or a new one when there is none or it closed. */
  #connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const open = this.#connection;
    if (open !== undefined && !open.nc.isClosed()) return Promise.resolve(open);
    this.#connecting ??= connect(this.#options)
      .then((nc) => {
        this.#connection = { nc, js: jetstream(nc, { timeout: this.#timeoutMs }) };
        return this.#connection;
      })
      .finally(() => {
        this.#connecting = undefined;
      });
    return this.#connecting;
  }

  async #publish(js: JetStreamClient, batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered> {
    const acks: Promise<PubAck>[] = [];
    const subjects: string[] = [];
    // An object: TypeScript does not see the callbacks below set a plain `let`.
    const progress = { failed: false };
    let bytes = 0;
    for (const event of batch.events) {
      const oldest = acks[acks.length - NATS_PUBLISH_WINDOW];
      if (oldest !== undefined) await oldest.catch(() => undefined);
      // A later delivery of the same events may already be publishing: this one must stay silent.
      if (progress.failed || signal.aborted) break;
      const subject = natsSubject(this.#prefix, event.tenant_id, event.kind);
      const body = encoder.encode(JSON.stringify(eventJson(event)));
      bytes += body.length;
      const ack = js.publish(subject, body, { msgID: event.id, timeout: this.#timeoutMs });
      ack.catch(() => {
        progress.failed = true;
      });
      acks.push(ack);
      subjects.push(subject);
    }
    for (const [index, ack] of acks.entries()) {
      try {
        await ack;
      } catch (error) {
        throw natsDeliveryError(error, this.#context(subjects[index]));
      }
    }
    if (signal.aborted) throw abortedError();
    return { bytes };
  }
}

function abortedError(): DeliveryError {
  return new DeliveryError('the delivery to NATS was aborted', true);
}

/** A promise that rejects with a retryable DeliveryError when `signal` aborts, and its cleanup. */
function abortion(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(abortedError());
    };
  });
  // A race lost to the delivery leaves this promise pending, never rejected unobserved.
  promise.catch(() => undefined);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    promise,
    dispose: () => {
      signal.removeEventListener('abort', onAbort);
    },
  };
}
