import { Type } from 'typebox';
import {
  authmsErrorResponses,
  enveloped,
  SimpleResponse,
  TenantQuery,
} from '../http/schemas/authms-envelope.js';
import { QueryObject } from '../http/schemas/query-object.js';
import { LOG_KIND_NAMES } from './integrity-service.js';

const Base64 = (description: string) => Type.String({ contentEncoding: 'base64', description });

export const KindParams = Type.Object({
  kind: Type.Union(
    LOG_KIND_NAMES.map((kind) => Type.Literal(kind)),
    { description: 'the kind of log: one log per tenant and kind' },
  ),
});

export const TenantOnlyQuery = QueryObject({ ...TenantQuery });

const LEAF_INDEX = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

export const InclusionQuery = QueryObject({
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the record’s id' })),
  transition: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'with id: the record’s delivery-status transition number K (from 1), a leaf of its own',
    }),
  ),
  leaf_index: Type.Optional(Type.Integer({ ...LEAF_INDEX, description: 'or name the leaf by its index' })),
  ...TenantQuery,
});

export const ConsistencyQuery = QueryObject({
  from: Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'the older tree size (≥ 1)',
  }),
  to: Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'the newer tree size (≥ from, ≤ the latest checkpoint’s)',
  }),
  ...TenantQuery,
});

/** Leaves a JSON page holds at most; an NDJSON page ten times as many. */
export const MAX_JSON_LEAVES = 1000;
export const MAX_NDJSON_LEAVES = 10_000;

export const LeavesQuery = QueryObject({
  start: Type.Integer({ ...LEAF_INDEX, default: 0, description: 'the first leaf index' }),
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_NDJSON_LEAVES,
    default: MAX_JSON_LEAVES,
    description: `leaves at most: ${MAX_JSON_LEAVES} as JSON, ${MAX_NDJSON_LEAVES} as NDJSON (Accept: application/x-ndjson)`,
  }),
  ...TenantQuery,
});

const NoteText = Type.String({
  description: 'a C2SP tlog-checkpoint as a C2SP signed note (Ed25519), byte for byte as signed',
  example:
    'sealog.invalid/0123456789abcdef/tnt_a/operate-log\n3\nSTmyN1N1y8Jm1Y2rHDpwY9WczoK7pbHZDCpx2TQrLOw=\n\n— sealog.invalid/0123456789abcdef/tnt_a/operate-log AAAAAA…\n',
});

export const CheckpointResponses = {
  200: { content: { 'text/plain': { schema: NoteText } } },
  404: SimpleResponse,
  ...authmsErrorResponses,
};

export const SignResponses = {
  200: {
    description: 'the log did not grow: its latest checkpoint',
    content: { 'text/plain': { schema: NoteText } },
  },
  201: { description: 'a new checkpoint', content: { 'text/plain': { schema: NoteText } } },
  ...authmsErrorResponses,
};

export const KeyResponses = {
  200: enveloped(
    {
      origin: Type.String({ description: 'the log’s origin: the first line of its checkpoints' }),
      verifier_key: Type.String({
        description: 'signed-note verifier key: <origin>+<8 hex key id>+<base64(0x01 ‖ Ed25519 public key)>',
      }),
    },
    'IntegrityKey',
  ),
  404: SimpleResponse,
  ...authmsErrorResponses,
};

export const InclusionResponses = {
  200: enveloped(
    {
      leaf_index: Type.Integer(),
      tree_size: Type.Integer({ description: 'the size of the checkpoint the proof is against' }),
      leaf: Base64('the leaf bytes (RFC 8785 JSON), recomputed from the record as stored'),
      proof: Type.Array(Base64('a 32-byte hash'), { description: 'RFC 9162 inclusion proof, bottom up' }),
      checkpoint: NoteText,
    },
    'InclusionProof',
  ),
  404: SimpleResponse,
  409: SimpleResponse,
  ...authmsErrorResponses,
};

export const ConsistencyResponses = {
  200: enveloped(
    {
      from: Type.Integer(),
      to: Type.Integer(),
      proof: Type.Array(Base64('a 32-byte hash'), { description: 'RFC 9162 consistency proof' }),
    },
    'ConsistencyProof',
  ),
  404: SimpleResponse,
  409: SimpleResponse,
  ...authmsErrorResponses,
};

export const LeavesResponses = {
  200: {
    description: 'leaves in order, never past the latest checkpoint',
    content: {
      'application/json': {
        schema: enveloped(
          {
            start: Type.Integer(),
            leaves: Type.Array(Base64('the leaf bytes (RFC 8785 JSON)')),
          },
          'LeafPage',
        ),
      },
      'application/x-ndjson': {
        schema: Type.String({
          description: 'one leaf per line, verbatim (RFC 8785 JSON holds no raw newline)',
        }),
      },
    },
  },
  404: SimpleResponse,
  ...authmsErrorResponses,
};
