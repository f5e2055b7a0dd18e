/**
 * A Splunk HTTP Event Collector destination: each batch is one POST to /services/collector/event
 * of HEC event objects one after the other (Splunk's batch format: no array), authenticated with
 * `Authorization: Splunk <token>`. Indexer acknowledgement is not used: HEC's 200 means the events
 * were accepted, which is what every HEC client without a channel relies on.
 */
import { Type, type Static } from 'typebox';
import { InvalidInputError } from '../../domain/errors.js';
import type { Delivered, DeliveryBatch, Destination, StreamEvent } from './destination.js';
import { DeliveryError } from './destination.js';
import { eventJson } from './event-json.js';
import {
  excerpt,
  httpUrl,
  postHttp,
  statusError,
  utf8Body,
  type HttpAnswer,
  type HttpPost,
} from './http-post.js';

/** The HEC endpoint for JSON events, appended to a base URL. */
export const HEC_EVENT_PATH = '/services/collector/event';
/** `source` when not configured. */
export const HEC_DEFAULT_SOURCE = 'sealog';
/** Timeout when `timeout_ms` is not set, in ms. */
export const HEC_DEFAULT_TIMEOUT_MS = 15_000;

/** Splunk's index names: lower-case letters, digits, `_` and `-`, starting with a letter or a digit. */
const INDEX_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** A token goes in a header: visible ASCII only. */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * What to tell an admin for HEC's documented status codes (Troubleshoot HTTP Event Collector,
 * "Possible error codes"). Whether to retry follows the HTTP status (5xx and 429 retry, other
 * 4xx pause), which these codes always come with: 9 "Server is busy" is a 503.
 */
const HEC_HINTS: Readonly<Record<number, string>> = {
  1: 'the token is disabled: enable it in Splunk or configure another',
  2: 'the request had no token',
  3: 'the Authorization header was not "Splunk <token>"',
  4: 'Splunk does not know this token: check the token',
  5: 'the request had no data',
  6: 'Splunk could not parse the events',
  7: "the index is not among the token's allowed indexes: change index or the token's indexes",
  10: 'the token has indexer acknowledgement on, which sealog does not use: turn it off for this token',
  11: 'the token has indexer acknowledgement on, which sealog does not use: turn it off for this token',
  12: 'an event had no event field',
  13: 'an event had an empty event field',
  15: 'Splunk could not handle the indexed fields',
  16: 'query-string authorization is not enabled',
};

/** A Splunk HEC destination's configuration, as the streams API accepts it. */
export const SplunkHecDestinationSchema = Type.Object(
  {
    type: Type.Literal('splunk-hec'),
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: `HEC base URL (${HEC_EVENT_PATH} is appended), or the full event endpoint URL`,
      examples: ['https://splunk.example.com:8088'],
    }),
    token: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'HEC token, sent as Authorization: Splunk <token>',
    }),
    sourcetype: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'sourcetype of every event; default sealog:<kind> (e.g. sealog:communication-log)',
      }),
    ),
    source: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: `default ${HEC_DEFAULT_SOURCE}` }),
    ),
    index: Type.Optional(
      Type.String({ minLength: 1, maxLength: 80, description: "default: the token's default index" }),
    ),
    host: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'default: the host Splunk sees the request from',
      }),
    ),
    timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 120_000,
        description: `ms to wait for the answer; default ${HEC_DEFAULT_TIMEOUT_MS}`,
      }),
    ),
  },
  { additionalProperties: false, title: 'SplunkHecDestination' },
);

export type SplunkHecDestinationConfig = Static<typeof SplunkHecDestinationSchema>;

/** Fields holding secrets, never shown back. */
export const SPLUNK_HEC_SECRET_FIELDS = ['token'] as const;

/**
 * The event endpoint for `config.url` (a base URL, with or without a path prefix, or one already
 * ending in /services/collector/event); throws InvalidInputError when it is not a usable URL or a
 * field breaks Splunk's rules.
 */
export function checkSplunkHecConfig(config: SplunkHecDestinationConfig): URL {
  let url: URL;
  try {
    url = httpUrl('url', config.url);
  } catch (error) {
    throw new InvalidInputError((error as Error).message);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(HEC_EVENT_PATH) ? path : `${path}${HEC_EVENT_PATH}`;
  if (!TOKEN.test(config.token)) throw new InvalidInputError('token must be printable ASCII without spaces');
  if (config.index !== undefined && !INDEX_NAME.test(config.index)) {
    throw new InvalidInputError(
      'index: Splunk index names are lower-case letters, digits, _ and -, starting with a letter or digit',
    );
  }
  return url;
}

/** A Splunk HEC destination for `config`; throws InvalidInputError when it is invalid. */
export function createSplunkHecDestination(config: SplunkHecDestinationConfig): Destination {
  return new SplunkHecDestination(config, checkSplunkHecConfig(config));
}

/**
 * An event's `time` for HEC: epoch seconds with exactly three decimals (`1715761800.123`), written
 * from the integer ms so that no floating-point division rounds it; before 1970 it is negative
 * (`-0.001`).
 */
export function hecTime(epochMs: number): string {
  // A fractional ms (never from the store) would otherwise print as a second decimal point.
  const whole = Math.round(epochMs);
  if (whole < 0) return `-${hecTime(-whole)}`;
  return `${Math.floor(whole / 1000)}.${String(whole % 1000).padStart(3, '0')}`;
}

class SplunkHecDestination implements Destination {
  constructor(
    private readonly config: SplunkHecDestinationConfig,
    private readonly url: URL,
  ) {}

  async deliver(batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered> {
    const body = utf8Body(batch.events.map((event) => this.hecEvent(event)).join('\n'));
    const post: HttpPost = {
      url: this.url,
      headers: { authorization: `Splunk ${this.config.token}`, 'content-type': 'application/json' },
      body,
      timeoutMs: this.config.timeout_ms ?? HEC_DEFAULT_TIMEOUT_MS,
      receiver: 'Splunk HEC',
      secrets: [this.config.token],
    };
    const answer = await postHttp(post, signal);
    const hec = hecAnswer(answer);
    const error = statusError(post, answer, hec === undefined ? undefined : describe(hec, post.secrets));
    if (error !== undefined) throw error;
    // A 200 with another code is not an acceptance (code 17 is the health endpoint's answer, say).
    if (hec !== undefined && hec.code !== 0) {
      throw new DeliveryError(
        `configuration error: Splunk HEC at ${this.url.origin} answered 200 ${describe(hec, post.secrets)}`,
        false,
        200,
      );
    }
    return { bytes: body.length };
  }

  async close(): Promise<void> {
    // fetch's connections belong to Node's global pool, which closes idle ones by itself.
  }

  /** One HEC event object; `time` goes in as written by hecTime (JSON.stringify would drop zeros). */
  private hecEvent(event: StreamEvent): string {
    const { host, index } = this.config;
    const fields = JSON.stringify({
      ...(host === undefined ? {} : { host }),
      source: this.config.source ?? HEC_DEFAULT_SOURCE,
      // One sourcetype per kind, named vendor:kind as Splunk add-ons name theirs: an admin can give
      // each kind its own field aliases or CIM mapping and search one kind with sourcetype=.
      sourcetype: this.config.sourcetype ?? `sealog:${event.kind}`,
      ...(index === undefined ? {} : { index }),
      event: eventJson(event),
    });
    return `{"time":${hecTime(event.time)},${fields.slice(1)}`;
  }
}

/** HEC's answer body: `{"text": …, "code": …}`, with `invalid-event-number` on a parse error. */
interface HecAnswer {
  text: string;
  code: number;
  invalidEvent?: number;
}

/** The HEC answer in `answer`'s body; undefined when the body is not one (a proxy's page, say). */
function hecAnswer(answer: HttpAnswer): HecAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { text, code, 'invalid-event-number': invalid } = parsed as Record<string, unknown>;
  if (typeof code !== 'number') return undefined;
  return {
    text: typeof text === 'string' ? text : '',
    code,
    ...(typeof invalid === 'number' ? { invalidEvent: invalid } : {}),
  };
}

/**
 * `code 7 "Incorrect index" (the index is not …)`, and the batch's event Splunk choked on; the
 * text quoted as any answer is (bounded, `secrets` replaced).
 */
function describe(hec: HecAnswer, secrets: readonly string[]): string {
  const hint = HEC_HINTS[hec.code];
  const event = hec.invalidEvent === undefined ? '' : `, at event ${hec.invalidEvent} of the batch`;
  return `code ${hec.code} "${excerpt(hec.text, secrets)}"${hint === undefined ? '' : ` (${hint})`}${event}`;
}
