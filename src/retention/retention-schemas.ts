import { Type } from 'typebox';
import { authmsErrorResponses, NullableString } from '../http/schemas/authms-envelope.js';
import { IDENTIFIER_PATTERN } from '../http/schemas/patterns.js';
import { PERIOD_FORMS } from './retention-period.js';
import { POLICY_KEYS, type PolicyKey } from './retention-policy.js';

/** What a key's period governs, for the OpenAPI document. */
function governs({ table, field }: PolicyKey): string {
  return field === undefined
    ? `how long ${table.kind}s are kept (default ${table.retention.defaultPeriod})`
    : `how long the ${field} field of ${table.kind}s is kept: at most as long as the record, which it follows by default`;
}

export const TenantParams = Type.Object({
  tenant_id: Type.String({ pattern: IDENTIFIER_PATTERN, description: 'the tenant whose retention this is' }),
});

/** PUT body: policy keys to a period or null; other keys are refused with the list of keys. */
export const RetentionChangesBody = Type.Object(
  Object.fromEntries(
    POLICY_KEYS.map((key) => [
      key.key,
      Type.Optional(NullableString({ maxLength: 64, description: `${governs(key)}; null: no override` })),
    ]),
  ),
  {
    // Other keys are refused by the service, which lists the keys; their values are held to the
    // same type here, so no deeply nested body reaches it.
    additionalProperties: NullableString({ maxLength: 64 }),
    title: 'RetentionChanges',
    description:
      `Periods are ${PERIOD_FORMS}. Keys left out keep their value; null removes the tenant's override, ` +
      'e.g. {"communication-logs": "90d", "communication-logs.content": "7d", "operate-logs": null}.',
  },
);

const EffectiveRetention = Type.Object(
  {
    period: Type.String({ description: PERIOD_FORMS, example: '180d' }),
    source: Type.Union([Type.Literal('default'), Type.Literal('setting'), Type.Literal('tenant')], {
      description:
        "default: the kind's (a field follows its record); setting: the RETENTION setting; tenant: the tenant's override",
    }),
  },
  { title: 'EffectiveRetention' },
);

/** The answer of both routes: the tenant's effective policy in the AuthMS envelope. */
const RetentionPolicyBody = Type.Object(
  {
    code: Type.Integer(),
    message: Type.String(),
    tenant_id: Type.String(),
    policy: Type.Object(
      Object.fromEntries(
        POLICY_KEYS.map((key) => [key.key, { ...EffectiveRetention, description: governs(key) }]),
      ),
      { description: 'every policy key with the period that applies and where it comes from' },
    ),
    timestamp: Type.String(),
  },
  { title: 'RetentionPolicy' },
);

export const RetentionResponses = { 200: RetentionPolicyBody, ...authmsErrorResponses };
