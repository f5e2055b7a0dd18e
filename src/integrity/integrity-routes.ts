import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors.js';
import { principalOf } from '../http/plugins/authentication.js';
import { envelope } from '../http/presenters.js';
import type { IntegrityService } from './integrity-service.js';
import {
  CheckpointResponses,
  ConsistencyQuery,
  ConsistencyResponses,
  InclusionQuery,
  InclusionResponses,
  KeyResponses,
  KindParams,
  LeavesQuery,
  LeavesResponses,
  MAX_JSON_LEAVES,
  SignResponses,
  TenantOnlyQuery,
} from './integrity-schemas.js';

/** The OpenAPI tag of these routes. */
export const INTEGRITY_TAG = {
  name: 'integrity',
  description:
    'Tamper evidence: every record is a leaf of an RFC 6962 log per tenant and kind, with signed C2SP checkpoints, ' +
    'inclusion and consistency proofs and the leaves themselves (docs/integrity.md)',
};

const TEXT = 'text/plain; charset=utf-8';
const common = { tags: [INTEGRITY_TAG.name], security: [{ bearerAuth: [] }] };

/** The log a request reads: its kind, scoped to the caller's tenant (see IntegrityService.scope). */
function logOf(
  service: IntegrityService,
  request: FastifyRequest,
  kind: string,
  tenantId: string | undefined,
) {
  return service.scope(principalOf(request), kind, tenantId);
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

/** GET/POST /v1/integrity/{kind}/checkpoint, GET …/key, …/inclusion, …/consistency, …/leaves. */
export const integrityRoutes: FastifyPluginAsyncTypebox<{ service: IntegrityService }> = (
  app,
  { service },
) => {
  app.get(
    '/v1/integrity/:kind/checkpoint',
    {
      schema: {
        ...common,
        operationId: 'getCheckpoint',
        summary: 'Admin: the latest signed checkpoint of a log',
        description:
          'The newest checkpoint (a C2SP tlog-checkpoint as an Ed25519 signed note), exactly as signed. ' +
          'Checkpoints are signed every CHECKPOINT_INTERVAL for each log that grew, and on POST.',
        params: KindParams,
        querystring: TenantOnlyQuery,
        response: CheckpointResponses,
      },
    },
    async (request, reply) => {
      const note = await service.checkpoint(
        logOf(service, request, request.params.kind, request.query.tenant_id),
      );
      return reply.type(TEXT).send(note);
    },
  );

  app.post(
    '/v1/integrity/:kind/checkpoint',
    {
      schema: {
        ...common,
        operationId: 'signCheckpoint',
        summary: 'Admin: sign a checkpoint of a log now',
        description:
          'Signs the log as it stands (201), or answers its latest checkpoint when it did not grow (200).',
        params: KindParams,
        querystring: TenantOnlyQuery,
        response: SignResponses,
      },
    },
    async (request, reply) => {
      const { note, created } = await service.sign(
        logOf(service, request, request.params.kind, request.query.tenant_id),
      );
      return reply
        .code(created ? 201 : 200)
        .type(TEXT)
        .send(note);
    },
  );

  app.get(
    '/v1/integrity/:kind/key',
    {
      schema: {
        ...common,
        operationId: 'getVerifierKey',
        summary: 'Admin: the key a log’s checkpoints are signed with',
        description: 'The log’s origin and its signed-note verifier key (Ed25519).',
        params: KindParams,
        querystring: TenantOnlyQuery,
        response: KeyResponses,
      },
    },
    (request) => {
      const { origin, verifierKey } = service.key(
        logOf(service, request, request.params.kind, request.query.tenant_id),
      );
      return envelope({ origin, verifier_key: verifierKey });
    },
  );

  app.get(
    '/v1/integrity/:kind/inclusion',
    {
      schema: {
        ...common,
        operationId: 'getInclusionProof',
        summary: 'Admin: prove a record is in the log',
        description:
          'The leaf of a record (id, or id and transition K for its K-th delivery-status transition; or ' +
          'leaf_index) with an RFC 9162 inclusion proof against the latest checkpoint, returned with it. ' +
          '409 with Retry-After while the record is in no checkpoint yet.',
        params: KindParams,
        querystring: InclusionQuery,
        response: InclusionResponses,
      },
    },
    async (request) => {
      const { id, transition, leaf_index: leafIndex, tenant_id: tenantId } = request.query;
      if ((id === undefined) === (leafIndex === undefined)) {
        throw new InvalidInputError('name the leaf with id (and transition) or with leaf_index, not both');
      }
      if (transition !== undefined && id === undefined) throw new InvalidInputError('transition needs id');
      const log = logOf(service, request, request.params.kind, tenantId);
      const answer = await service.inclusion(
        log,
        id === undefined ? { leafIndex: leafIndex ?? 0 } : { id, transition: transition ?? 0 },
      );
      return envelope({
        leaf_index: answer.leafIndex,
        tree_size: answer.treeSize,
        leaf: b64(answer.leaf),
        proof: answer.proof.map(b64),
        checkpoint: answer.checkpoint,
      });
    },
  );

  app.get(
    '/v1/integrity/:kind/consistency',
    {
      schema: {
        ...common,
        operationId: 'getConsistencyProof',
        summary: 'Admin: prove a log only grew between two sizes',
        description:
          'An RFC 9162 consistency proof from tree size `from` to `to` (at most the latest checkpoint’s).',
        params: KindParams,
        querystring: ConsistencyQuery,
        response: ConsistencyResponses,
      },
    },
    async (request) => {
      const { from, to, tenant_id: tenantId } = request.query;
      const proof = await service.consistency(
        logOf(service, request, request.params.kind, tenantId),
        from,
        to,
      );
      return envelope({ from, to, proof: proof.map(b64) });
    },
  );

  app.get(
    '/v1/integrity/:kind/leaves',
    {
      schema: {
        ...common,
        operationId: 'listLeaves',
        summary: 'Admin: the leaves of a log, to rebuild it without the database',
        description:
          'Leaf bytes in index order from `start`, never past the latest checkpoint: JSON (base64) or, with ' +
          'Accept: application/x-ndjson, one leaf per line verbatim.',
        params: KindParams,
        querystring: LeavesQuery,
        response: LeavesResponses,
      },
    },
    async (request, reply) => {
      const { start, limit, tenant_id: tenantId } = request.query;
      const ndjson = (request.headers.accept ?? '').includes('application/x-ndjson');
      if (!ndjson && limit > MAX_JSON_LEAVES) {
        throw new InvalidInputError(
          `limit must be at most ${MAX_JSON_LEAVES} as JSON (got ${limit}); ask for application/x-ndjson for more`,
        );
      }
      const leaves = await service.leaves(
        logOf(service, request, request.params.kind, tenantId),
        start,
        limit,
      );
      if (ndjson) {
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .send(leaves.map((leaf) => `${leaf.toString('utf8')}\n`).join(''));
      }
      return reply.send(envelope({ start, leaves: leaves.map(b64) }));
    },
  );
  return Promise.resolve();
};
