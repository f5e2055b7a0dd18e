import { Type } from 'typebox';
import {
  authmsErrorResponses,
  enveloped,
  NullableString,
  SimpleResponse,
} from '../schemas/authms-envelope.js';

/** POST /v1/console/sessions: exactly one of a link secret or a token. */
export const SignInBody = Type.Object(
  {
    link: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'the secret after #link= in the URL sealog console-link printed',
      }),
    ),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 16_384,
        description: 'a JWT the platform issued, holding the admin role',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'ConsoleSignIn',
    description: 'Either {"link": "…"} or {"token": "…"}.',
  },
);

const SessionData = Type.Object(
  {
    sub: Type.String({ description: 'the signed-in user' }),
    tenant_id: NullableString({ description: 'their tenant; null for a platform admin' }),
    roles: Type.Array(Type.String()),
    expires_at: Type.String({ description: 'RFC 3339 time the session ends' }),
  },
  { title: 'ConsoleSessionData' },
);

export const SessionResponses = {
  200: enveloped({ data: SessionData }, 'ConsoleSession'),
  ...authmsErrorResponses,
};

export const SignOutResponses = { 200: SimpleResponse, ...authmsErrorResponses };

export const TenantsResponses = {
  200: enveloped(
    {
      data: Type.Object({
        items: Type.Array(Type.String(), {
          description:
            'tenant ids ascending: every tenant with logs for a platform admin, their own for a tenant admin',
        }),
      }),
    },
    'ConsoleTenants',
  ),
  ...authmsErrorResponses,
};
