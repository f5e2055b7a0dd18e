import { Type } from 'typebox';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { authmsErrorResponses, enveloped, TenantQuery } from '../http/schemas/authms-envelope.js';
import { IDENTIFIER_PATTERN } from '../http/schemas/patterns.js';
import { QueryObject } from '../http/schemas/query-object.js';

export const SubjectParams = Type.Object({
  subject_id: Type.String({
    pattern: IDENTIFIER_PATTERN,
    description:
      'the data subject: the user_id of communication and operate logs, the operator_id of MFA logs, the actor of access logs',
  }),
});

export const ErasureQuery = QueryObject({ ...TenantQuery });

export const ErasureResponses = {
  200: enveloped(
    {
      tenant_id: Type.String(),
      subject_id: Type.String(),
      keys_destroyed: Type.Integer({
        description: 'subject keys destroyed by this request: 0 when the subject was erased before',
      }),
      records: Type.Object(
        Object.fromEntries(LOG_TABLES.map((table) => [table.table, Type.Integer({ minimum: 0 })])),
        { description: 'the subject’s records per kind: their personal fields now read [erased]' },
      ),
      erased_at: Type.Union([Type.String(), Type.Null()], {
        description: 'RFC 3339 time of the latest erasure that destroyed keys; null when none ever did',
      }),
      scrubbed: Type.Boolean({
        description:
          'the store’s files hold no copy of the destroyed keys (false: readers kept the SQLite WAL busy; the next erasure finishes it)',
      }),
    },
    'SubjectErasure',
  ),
  ...authmsErrorResponses,
};
