/**
 * What a stream hands its destination: events of the integrity log, in leaf order per
 * (tenant, kind), and what a destination answers. Each destination (webhook, syslog, NATS, Splunk
 * HEC) follows its own ecosystem's conventions; the deliverer knows none of them.
 */

/**
 * One delivered event: a leaf of a (tenant, kind) log and its record as the APIs show it (the
 * stream's redaction applied, erased fields `[erased]`).
 */
export interface StreamEvent {
  /**
   * Unique per (tenant, kind, leaf) and the same on every delivery of that leaf, so that a
   * receiver can drop duplicates (delivery is at least once): `<tenant_id>/<kind>/<leaf_index>`.
   */
  readonly id: string;
  /** The kind's name, e.g. `communication-log`. */
  readonly kind: string;
  readonly tenant_id: string;
  /** The leaf's index in the (tenant, kind) log, from 0: the order of delivery within the log. */
  readonly leaf_index: number;
  /** The record's id. */
  readonly record_id: string;
  /** 0 for the record itself; K for its K-th status transition (communication logs). */
  readonly transition: number;
  /** The record's time (its kind's time column, or the transition's), epoch ms. */
  readonly time: number;
  /** The record as the kind's API presents it, with `tenant_id`, after the stream's redaction. */
  readonly record: Readonly<Record<string, unknown>>;
}

/** Events sent in one request (or one series of frames). */
export interface DeliveryBatch {
  /**
   * Identifies the batch (a webhook's `webhook-id`): derived from its events, so a retry of the
   * same events carries the same id.
   */
  readonly id: string;
  /** At least one event; events of one (tenant, kind) log are in leaf order. */
  readonly events: readonly StreamEvent[];
}

/** What the receiver acknowledged. */
export interface Delivered {
  /** Bytes sent for the batch (its request body or frames), for the stream's counters. */
  readonly bytes: number;
}

/**
 * A delivery that failed. `retryable` false means the receiver refused the batch as a
 * configuration error (a 4xx other than 408/429, an authentication failure, a certificate that
 * does not verify): retrying cannot help, the stream pauses until an admin acts. Anything else
 * (5xx, 408, 429, a timeout, a refused or reset connection) is retried with back-off.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The receiver's status, where its protocol has one (HTTP). */
    readonly status?: number,
    /**
     * How long the receiver asked the sender to wait before the next attempt, in ms (an HTTP
     * `Retry-After`); undefined when it did not say. Only on retryable errors; a deliverer should
     * wait at least its own back-off and cap this at its longest back-off.
     */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A configured receiver. One deliverer uses it at a time: `deliver` is never called concurrently. */
export interface Destination {
  /**
   * Sends the batch and resolves once the receiver acknowledged every event of it; rejects with a
   * DeliveryError otherwise (never with anything else). `signal` aborts a delivery that takes too
   * long or a stream that stops: the destination rejects with a retryable DeliveryError then.
   */
  deliver(batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered>;
  /** Closes connections it keeps; deliver is not called again. */
  close(): Promise<void>;
}
