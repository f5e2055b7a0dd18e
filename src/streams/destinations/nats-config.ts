import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { credsAuthenticator } from '@nats-io/transport-node';
import { Type } from 'typebox';
import { isValidSubjectPrefix, SUBJECT_PREFIX_MAX_LENGTH, SUBJECT_PREFIX_PATTERN } from './nats-subjects.js';

/** A server URL: `nats://` or `tls://`, a host and a port; no credentials, path or query. */
const SERVER_PATTERN = '^(nats|tls)://[^\\s/@?#]+$';
const SERVER = new RegExp(SERVER_PATTERN);
const CREDS_JWT = /-----BEGIN NATS USER JWT-----/;
const CREDS_SEED = /-----BEGIN USER NKEY SEED-----/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;

/** The subject prefix when the configuration names none. */
export const DEFAULT_SUBJECT_PREFIX = 'sealog';
/** How long a connection handshake or one event's PubAck may take when `timeout_ms` is absent, in ms. */
export const DEFAULT_NATS_TIMEOUT_MS = 10_000;

/** A NATS JetStream destination as an admin configures it (the API's JSON, snake_case). */
export interface NatsDestinationConfig {
  type: 'nats';
  /**
   * One server URL or several (a cluster), e.g. `nats://127.0.0.1:4222`; `tls://` requires TLS.
   * Credentials never go in a URL (it is shown unredacted): use token, user/password or creds.
   */
  servers: string | string[];
  /** Subjects are `<subject_prefix>.<tenant>.<kind>`; default `sealog`. No wildcards. */
  subject_prefix?: string;
  /** A server token (secret). Excludes user/password and creds. */
  token?: string;
  /** A user name, with `password`. */
  user?: string;
  /** The user's password (secret). */
  password?: string;
  /** The text of a NATS `.creds` file: a user JWT and its NKey seed (secret). */
  creds?: string;
  /** PEM certificates trusted to sign the server's certificate (besides the system's); turns on TLS. */
  tls_ca?: string;
  /** Limit of a connection handshake and of each event's PubAck, in ms (default 10,000). */
  timeout_ms?: number;
}

/** The fields of NatsDestinationConfig that hold secrets: the API never shows them. */
export const NATS_SECRET_FIELDS = ['token', 'password', 'creds'] as const;

const secret = (description: string, maxLength: number) =>
  Type.Optional(Type.String({ minLength: 1, maxLength, description: `${description} Secret: never shown.` }));

/**
 * NatsDestinationConfig as a JSON schema. Draft-07 keywords only (Ajv's default): `dependencies`
 * pairs user with password and `not` keeps the three credential forms apart. natsDestinationProblem
 * checks the same rules for callers that skip the schema.
 */
export const NatsDestinationSchema = Type.Object(
  {
    type: Type.Literal('nats'),
    servers: Type.Union(
      [
        Type.String({ pattern: SERVER_PATTERN, maxLength: 512 }),
        Type.Array(Type.String({ pattern: SERVER_PATTERN, maxLength: 512 }), { minItems: 1, maxItems: 16 }),
      ],
      { description: 'One server URL (`nats://host:4222`, `tls://host:4222`) or several.' },
    ),
    subject_prefix: Type.Optional(
      Type.String({
        pattern: SUBJECT_PREFIX_PATTERN,
        maxLength: SUBJECT_PREFIX_MAX_LENGTH,
        default: DEFAULT_SUBJECT_PREFIX,
        description:
          'Subjects are `<subject_prefix>.<tenant>.<kind>`: tokens of [A-Za-z0-9_-] joined by dots.',
      }),
    ),
    token: secret('A server token.', 4096),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    password: secret("The user's password.", 4096),
    creds: secret('The text of a NATS .creds file (user JWT and NKey seed).', 65_536),
    tls_ca: Type.Optional(Type.String({ maxLength: 65_536, pattern: PEM_CERTIFICATE.source })),
    timeout_ms: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 120_000, default: DEFAULT_NATS_TIMEOUT_MS }),
    ),
  },
  {
    additionalProperties: false,
    dependencies: { user: ['password'], password: ['user'] },
    not: {
      anyOf: [
        { required: ['token', 'user'] },
        { required: ['token', 'creds'] },
        { required: ['user', 'creds'] },
      ],
    },
  },
);

/**
 * Why `config` cannot work, or undefined if it can: the schema's rules (for a config that did
 * not pass through it) and what the schema cannot say, such as a creds text without its seed.
 * Never quotes a secret.
 */
export function natsDestinationProblem(config: NatsDestinationConfig): string | undefined {
  const servers = serverList(config);
  if (servers.length === 0) return 'servers: name at least one NATS server';
  const badServer = servers.find((server) => !SERVER.test(server));
  if (badServer !== undefined) {
    return `servers: "${badServer.replace(/\/\/.*@/, '//…@')}" is not nats://host:port or tls://host:port (credentials go in token, user/password or creds)`;
  }
  const prefix = config.subject_prefix ?? DEFAULT_SUBJECT_PREFIX;
  if (!isValidSubjectPrefix(prefix)) {
    return `subject_prefix: "${prefix}" is not tokens of [A-Za-z0-9_-] joined by dots (no wildcards, at most ${SUBJECT_PREFIX_MAX_LENGTH} characters)`;
  }
  const forms = [
    config.token !== undefined,
    config.user !== undefined || config.password !== undefined,
    config.creds !== undefined,
  ];
  if (forms.filter(Boolean).length > 1)
    return 'credentials: give a token, or user and password, or creds, not several';
  if ((config.user === undefined) !== (config.password === undefined))
    return 'credentials: user and password go together';
  if (config.creds !== undefined && !(CREDS_JWT.test(config.creds) && CREDS_SEED.test(config.creds))) {
    return 'creds: not the text of a NATS .creds file (it needs the user JWT and the NKey seed blocks)';
  }
  if (config.tls_ca !== undefined && !PEM_CERTIFICATE.test(config.tls_ca))
    return 'tls_ca: not a PEM certificate';
  const timeout = config.timeout_ms;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 100 && timeout <= 120_000)) {
    return 'timeout_ms: an integer from 100 to 120,000';
  }
  return undefined;
}

/** The configured servers as a list. */
function serverList(config: NatsDestinationConfig): string[] {
  return typeof config.servers === 'string' ? [config.servers] : [...config.servers];
}

/**
 * The client's connection options for `config` (assumed valid). The client does not reconnect by
 * itself: it would resend, after a reconnect, messages written after ones the old connection lost,
 * storing them out of order; the destination connects again on its next delivery instead.
 */
export function connectionOptions(config: NatsDestinationConfig): NodeConnectionOptions {
  const servers = serverList(config);
  const options: NodeConnectionOptions = {
    servers,
    name: 'sealog',
    timeout: config.timeout_ms ?? DEFAULT_NATS_TIMEOUT_MS,
    reconnect: false,
    maxReconnectAttempts: 0,
  };
  if (config.token !== undefined) options.token = config.token;
  if (config.user !== undefined) {
    options.user = config.user;
    options.pass = config.password;
  }
  if (config.creds !== undefined)
    options.authenticator = credsAuthenticator(new TextEncoder().encode(config.creds));
  if (config.tls_ca !== undefined) options.tls = { ca: config.tls_ca };
  else if (servers.some((server) => server.startsWith('tls://'))) options.tls = {};
  return options;
}
