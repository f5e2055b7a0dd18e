import { Type } from 'typebox';
import {
  authmsErrorResponses,
  enveloped,
  NullableString,
  SimpleResponse,
} from '../http/schemas/authms-envelope.js';
import { IDENTIFIER_PATTERN } from '../http/schemas/patterns.js';
import { STREAMABLE_KINDS } from './stream-definition.js';

const Kind = Type.String({ enum: [...STREAMABLE_KINDS] });

export const StreamParams = Type.Object({
  name: Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
    description: "the stream's name: 1 to 64 letters, digits, '_', '.' or '-'",
  }),
});

export const StreamQuery = Type.Object({
  tenant_id: Type.Optional(
    Type.String({
      pattern: IDENTIFIER_PATTERN,
      description:
        "platform admins: the tenant whose stream this is (left out: the platform's streams of STREAMS_FILE); tenant admins: their own",
    }),
  ),
});

const Destination = Type.Object(
  { type: Type.String({ description: 'webhook, syslog, nats or splunk-hec' }) },
  {
    additionalProperties: true,
    description:
      "Where events go, with that type's settings (README, Streams). Secret settings are write-only: GET shows " +
      '"[hidden]", and a PUT that leaves them out or sends "[hidden]" keeps the stored ones.',
  },
);

const Definition = {
  destination: Destination,
  kinds: Type.Array(Kind, {
    minItems: 1,
    maxItems: STREAMABLE_KINDS.length,
    description: 'the kinds it carries',
  }),
  filters: Type.Optional(
    Type.Record(Type.String(), Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 256 })), {
      description:
        'per kind, the console’s filters of that kind (GET /v1/logs/{kind}), e.g. {"communication-log": {"channel": "sms"}}',
    }),
  ),
  redact: Type.Optional(
    Type.Object(
      {
        drop: Type.Optional(Type.Array(Type.String(), { maxItems: 64, description: 'fields left out' })),
        mask: Type.Optional(
          Type.Array(Type.String(), {
            maxItems: 64,
            description: 'fields masked as 138****8000, a***@example.com',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  batch: Type.Optional(
    Type.Object(
      {
        max_events: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'default 100' })),
        max_wait_ms: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 60_000,
            description: 'how long a batch waits for more; default 1000',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  pause_after_failing: Type.Optional(
    Type.String({
      description: 'the stream pauses itself after failing this long: <n>d or <n>h, default 7d',
    }),
  ),
  timeout_ms: Type.Optional(
    Type.Integer({ minimum: 100, maximum: 300_000, description: 'per delivery; default 30000' }),
  ),
};

export const StreamBody = Type.Object(
  {
    ...Definition,
    paused: Type.Optional(
      Type.Boolean({ description: 'store it paused (to rewind it first); default false' }),
    ),
    start: Type.Optional(
      Type.String({
        enum: ['now', 'beginning'],
        description: 'a new stream: from what is stored from now on (default), or from every leaf kept',
      }),
    ),
  },
  { additionalProperties: false, title: 'StreamDefinition' },
);

export const RewindBody = Type.Object(
  {
    leaf_index: Type.Optional(
      Type.Integer({ minimum: 0, description: 'the next leaf to deliver of each log' }),
    ),
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'from the first record at or after this time' }),
    ),
    kind: Type.Optional(Kind),
    tenant_id: Type.Optional(
      Type.String({ pattern: IDENTIFIER_PATTERN, description: "a platform stream: only this tenant's logs" }),
    ),
  },
  { additionalProperties: false, title: 'StreamRewind' },
);

const Stream = Type.Object(
  {
    name: Type.String(),
    tenant_id: NullableString({ description: 'null for a platform stream (STREAMS_FILE)' }),
    ...Definition,
    batch: Type.Object({ max_events: Type.Integer(), max_wait_ms: Type.Integer() }),
    state: Type.String({
      enum: ['active', 'retrying', 'paused'],
      description: 'retrying: the last delivery failed and is retried with back-off',
    }),
    paused_reason: NullableString(),
    paused_at: NullableString(),
    lag: Type.Object({
      events: Type.Integer({ description: 'events stored and not delivered yet' }),
      seconds: Type.Integer({
        description:
          'how long the stream has been behind: since its last batch delivered everything stored when it was read; 0 when none wait',
      }),
    }),
    last_success_at: NullableString(),
    last_error: Type.Union([Type.Object({ at: Type.String(), message: Type.String() }), Type.Null()]),
    events_delivered: Type.Integer(),
    bytes_delivered: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { title: 'Stream' },
);

const StreamResponse = enveloped({ stream: Stream }, 'StreamResponse');

export const StreamResponses = {
  200: StreamResponse,
  201: StreamResponse,
  404: SimpleResponse,
  409: SimpleResponse,
  ...authmsErrorResponses,
};
export const StreamListResponses = {
  200: enveloped({ streams: Type.Array(Stream) }, 'StreamListResponse'),
  ...authmsErrorResponses,
};
export const DeletedResponses = { 200: SimpleResponse, 404: SimpleResponse, ...authmsErrorResponses };
