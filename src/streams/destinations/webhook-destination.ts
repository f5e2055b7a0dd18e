/**
 * A webhook destination following Standard Webhooks 1.0
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * one signed POST per batch, so that any Standard Webhooks library verifies it.
 */
import { createHmac } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { formatRfc3339 } from '../../domain/time.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { Delivered, DeliveryBatch, Destination } from './destination.js';
import { eventJson, type EventJson } from './event-json.js';
import { httpUrl, postHttp, statusError, utf8Body, type HttpPost } from './http-post.js';

/** The payload's `type`: one type for every batch, since `data.events` carries each event's kind. */
export const WEBHOOK_EVENT_TYPE = 'sealog.events';
/** Timeout when `timeout_ms` is not set, in ms: within the 15–30 s the spec recommends. */
export const WEBHOOK_DEFAULT_TIMEOUT_MS = 15_000;

const SECRET_PREFIX = 'whsec_';
/** Bytes of a decoded secret: at least 24 (the spec's minimum), at most 64 (512 bits). */
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;
/** Headers the destination sets itself, which `headers` may not override (compared in lower case). */
const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'connection',
]);
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An HTTP header value: visible ASCII, spaces and tabs inside, never CR or LF. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;

/** A webhook destination's configuration, as the streams API accepts it. */
export const WebhookDestinationSchema = Type.Object(
  {
    type: Type.Literal('webhook'),
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'http: or https: URL the batches are POSTed to; redirects are not followed',
      examples: ['https://hooks.example.com/sealog'],
    }),
    secrets: Type.Array(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'whsec_ followed by the base64 of 24 to 64 random bytes',
      }),
      {
        minItems: 1,
        maxItems: 5,
        description:
          'signing secrets: every batch is signed with each (space-separated v1 signatures), so a ' +
          'secret is rotated by adding the new one, switching the receiver, then removing the old one',
      },
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        maxProperties: 20,
        description:
          'extra static headers, e.g. for a gateway; they cannot replace webhook-* or content-type',
      }),
    ),
    timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 120_000,
        description: `ms to wait for the answer; default ${WEBHOOK_DEFAULT_TIMEOUT_MS}`,
      }),
    ),
  },
  { additionalProperties: false, title: 'WebhookDestination' },
);

export type WebhookDestinationConfig = Static<typeof WebhookDestinationSchema>;

/**
 * Fields holding secrets, never shown back. `headers` is one: its only use is credentials a
 * gateway in front of the receiver wants (an API key, a bearer token).
 */
export const WEBHOOK_SECRET_FIELDS = ['secrets', 'headers'] as const;

/** The body of a webhook: the spec's recommended `type` / `timestamp` / `data` structure. */
export interface WebhookPayload {
  type: typeof WEBHOOK_EVENT_TYPE;
  /** RFC 3339: the time of the batch's latest event, so that a retry sends the very same body. */
  timestamp: string;
  data: { events: EventJson[] };
}

/**
 * Checks what the schema cannot say (the URL, each secret's encoding and length, the headers) and
 * returns the config's secrets decoded; throws InvalidInputError naming the field otherwise.
 */
export function checkWebhookConfig(config: WebhookDestinationConfig): Buffer[] {
  try {
    httpUrl('url', config.url);
  } catch (error) {
    throw new InvalidInputError((error as Error).message);
  }
  if (config.secrets.length < 1 || config.secrets.length > 5) {
    throw new InvalidInputError('secrets must hold 1 to 5 secrets (more than one only while rotating)');
  }
  const keys = config.secrets.map((secret, index) => decodeSecret(secret, `secrets[${index}]`));
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (!HEADER_NAME.test(name))
      throw new InvalidInputError(`headers: ${JSON.stringify(name)} is not a header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new InvalidInputError(
        `headers: ${name} is set by the webhook destination itself and cannot be configured`,
      );
    }
    if (!HEADER_VALUE.test(value)) {
      throw new InvalidInputError(
        `headers: the value of ${name} must be printable ASCII without line breaks or edge spaces`,
      );
    }
  }
  return keys;
}

/** A webhook destination for `config`; throws InvalidInputError when it is invalid. */
export function createWebhookDestination(config: WebhookDestinationConfig): Destination {
  return new WebhookDestination(config, checkWebhookConfig(config));
}

/**
 * The `webhook-signature` header for a message: one `v1,<base64 HMAC-SHA256>` of
 * `{id}.{timestampSeconds}.{body}` per key, separated by spaces.
 */
export function webhookSignature(
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: Buffer,
): string {
  // The prefix and the body's bytes fed apart: no copy of a large body joined into one string.
  const prefix = `${id}.${timestampSeconds}.`;
  return keys
    .map((key) => `v1,${createHmac('sha256', key).update(prefix, 'utf8').update(body).digest('base64')}`)
    .join(' ');
}

/**
 * The `webhook-id` for a batch id. The spec forbids `.` in it (the signed content is dot-delimited)
 * and a header must be printable ASCII, so an id with `.`, `%` or anything else outside visible
 * ASCII is percent-encoded (injective, and the same on every retry); others go as they are.
 */
export function webhookId(batchId: string): string {
  if (/^[\x21-\x7e]+$/.test(batchId) && !/[.%]/.test(batchId)) return batchId;
  return encodeURIComponent(batchId).replace(/\./g, '%2E');
}

class WebhookDestination implements Destination {
  private readonly url: URL;

  constructor(
    private readonly config: WebhookDestinationConfig,
    private readonly keys: readonly Buffer[],
  ) {
    this.url = new URL(config.url);
  }

  async deliver(batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered> {
    const events = batch.events.map(eventJson);
    // reduce, not Math.max(...times): a large batch would overflow the argument list.
    const latest = batch.events.reduce((max, event) => Math.max(max, event.time), Number.NEGATIVE_INFINITY);
    const payload: WebhookPayload = {
      type: WEBHOOK_EVENT_TYPE,
      timestamp: formatRfc3339(latest),
      data: { events },
    };
    const body = utf8Body(JSON.stringify(payload));
    const id = webhookId(batch.id);
    // The attempt's time, not the events': receivers reject stale timestamps against replays.
    const timestamp = Math.floor(Date.now() / 1000);
    const post: HttpPost = {
      url: this.url,
      headers: {
        ...this.config.headers,
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(this.keys, id, timestamp, body),
      },
      body,
      timeoutMs: this.config.timeout_ms ?? WEBHOOK_DEFAULT_TIMEOUT_MS,
      receiver: 'webhook receiver',
      secrets: [...this.config.secrets, ...headerSecrets(this.config.headers)],
    };
    const answer = await postHttp(post, signal);
    const error = statusError(post, answer);
    if (error !== undefined) throw error;
    return { bytes: body.length };
  }

  async close(): Promise<void> {
    // fetch's connections belong to Node's global pool, which closes idle ones by itself.
  }
}

/**
 * What of the configured headers a message must not quote: each value, and each word of it of 8
 * characters or more (the token of `Bearer <token>`, which a receiver may echo alone).
 */
function headerSecrets(headers: Readonly<Record<string, string>> | undefined): string[] {
  return Object.values(headers ?? {}).flatMap((value) => [
    value,
    ...value.split(' ').filter((word) => word.length >= 8),
  ]);
}

/** The key of a `whsec_` secret; throws InvalidInputError naming `field` when it is not one. */
function decodeSecret(secret: string, field: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new InvalidInputError(
      `${field} must start with ${SECRET_PREFIX} (a Standard Webhooks symmetric secret)`,
    );
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  // Buffer.from ignores what is not base64; a strict pattern keeps a typo from becoming a weaker key.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
    throw new InvalidInputError(
      `${field}: after ${SECRET_PREFIX} must come standard base64 (A–Z, a–z, 0–9, +, /, = padding)`,
    );
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < SECRET_MIN_BYTES || key.length > SECRET_MAX_BYTES) {
    throw new InvalidInputError(
      `${field} decodes to ${key.length} bytes; a secret must have ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} random bytes`,
    );
  }
  return key;
}
