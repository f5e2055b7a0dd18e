import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { PolicyPeriods } from './retention/retention-policy.js';
import {
  DEFAULT_RETENTION,
  parseRetentionSetting,
  RetentionSettingError,
} from './retention/retention-setting.js';

/** Where logs are stored, parsed from DATABASE_URL. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      /** postgres:// connection URL; may hold a password, so it is never logged. */
      url: string;
      /** Most connections the pool opens. */
      poolSize: number;
      /** Longest a statement may run, in ms; longer ones are cancelled and answered with 503. */
      statementTimeoutMs: number;
      /** Longest the database may go without answering, in ms, before requests get 503. */
      unavailableTimeoutMs: number;
    };

/** How bearer tokens are verified; at most one key source is configured. */
export interface JwtSettings {
  /**
   * HS256 shared secrets (each at least 32 bytes), the current one first: tokens signed with any of
   * them verify, `sealog token` signs with the first.
   */
  secrets: string[] | undefined;
  /** SPKI PEM public keys (RSA, EC P-256 or Ed25519), one or more during a rotation. */
  publicKeysPem: string[] | undefined;
  jwksUrl: URL | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

/** One Tuya cloud project: its credentials and the tenant whose operate logs it reads. */
export interface TuyaProject {
  clientId: string;
  secret: string;
  tenantId: string;
  /** Accept the legacy signature (HMAC of client_id + access_token + t) on business calls. */
  allowLegacySignature: boolean;
}

export interface TuyaSettings {
  projects: TuyaProject[];
  /** Lifetime of an access token, in seconds. */
  tokenTtlSeconds: number;
  /** How far, in seconds, a request's `t` may be from the server clock either way. */
  signWindowSeconds: number;
}

/** What one client may hold of the server: request size, time and connections. */
export interface HttpLimits {
  /** Largest accepted request body, in bytes; larger bodies get 413. */
  bodyLimitBytes: number;
  /** Longest a request (headers and body) may take to arrive, in ms; then 408 and the socket closes. */
  requestTimeoutMs: number;
  /** Longest the request headers may take to arrive, in ms; at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, in ms. */
  keepAliveTimeoutMs: number;
  /** Most connections open at once; further ones are closed as they arrive. */
  maxConnections: number;
}

export interface Config {
  port: number;
  host: string;
  /**
   * Processes serving HTTP (1: this process alone). More than one: a primary process forks them,
   * holds the SQLite writer for all of them, and restarts one that dies.
   */
  workers: number;
  store: StoreLocation;
  jwt: JwtSettings;
  limits: HttpLimits;
  logLevel: string;
  tuya: TuyaSettings;
  metrics: MetricsSettings;
  /**
   * Which proxies' X-Forwarded-For/-Proto to believe (Fastify's trustProxy): false (none, the
   * default), true (any: only behind a proxy that overwrites them), or the proxies' addresses/CIDRs.
   */
  trustProxy: boolean | string[];
  integrity: IntegritySettings;
  /**
   * RETENTION: periods by policy key (`communication-logs`, `communication-logs.content`, …);
   * a key not named keeps its kind's default, and tenants' overrides win over both (src/retention/).
   */
  retention: PolicyPeriods;
  /** PURGE_INTERVAL in ms: between scheduled retention purges; 0 for none. */
  purgeIntervalMs: number;
  /** CONSOLE_SESSION_TTL in ms: how long a web console sign-in lasts (a session from a token: at most until its exp). */
  consoleSessionTtlMs: number;
  /** Log streams (src/streams/). */
  streams: StreamSettings;
}

/** STREAMS_FILE and STREAM_LEASE. */
export interface StreamSettings {
  /** The platform's streams (JSON); undefined: none but the tenants' own. */
  file: string | undefined;
  /** How long a process's hold on a stream lasts unless renewed, ms: another takes over a dead one's streams after it. */
  leaseMs: number;
  /** STREAM_PRIVATE_DESTINATIONS=allow: tenants' streams may reach private and loopback addresses. */
  allowPrivateDestinations: boolean;
}

/** Sealed personal fields and the signed logs (docs/integrity.md). */
export interface IntegritySettings {
  /** DATA_KEY as given (a key list or a path); undefined: the generated data-keys file. */
  dataKey: string | undefined;
  /** Bytes of opened personal fields kept in memory. */
  sealedCacheBytes: number;
  /** INTEGRITY_ORIGIN; undefined: the one recorded, or a generated one on first start. */
  originPrefix: string | undefined;
  /** SIGNING_KEY as given (PEM or a path); undefined: the generated key file. */
  signingKey: string | undefined;
  /** Between checkpoints of a log that grew, in ms. */
  checkpointIntervalMs: number;
  checkpointDir: string | undefined;
  checkpointUrl: string | undefined;
}

/** Where GET /metrics is served; neither set: nowhere. */
export interface MetricsSettings {
  /** A port of its own, on HOST, without authentication (keep it off the public network). */
  port: number | undefined;
  /** A bearer token that reads /metrics on the API's port. */
  token: string | undefined;
}

/** A configuration value that cannot be used; `variable` is the environment variable's name. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

/** Each setting: its environment variable, its CLI flag and its default. */
export const SETTINGS = {
  PORT: { flag: 'port', default: '8080', help: 'TCP port to listen on' },
  HOST: { flag: 'host', default: '127.0.0.1', help: 'address to listen on (0.0.0.0 for every interface)' },
  WORKERS: {
    flag: 'workers',
    default: 'auto',
    help: 'processes serving HTTP; auto = one per CPU core (1 = a single process)',
  },
  DATABASE_URL: {
    flag: 'database-url',
    default: 'sqlite:./data/sealog.db',
    help: 'sqlite:PATH for the embedded store, or postgres://USER@HOST:PORT/DATABASE',
  },
  DATABASE_POOL_SIZE: {
    flag: 'database-pool-size',
    default: '10',
    help: 'PostgreSQL: most connections per sealog process',
  },
  DATABASE_STATEMENT_TIMEOUT: {
    flag: 'database-statement-timeout',
    default: '30000',
    help: 'PostgreSQL: longest a query may run, in ms, before it is cancelled (503)',
  },
  DATABASE_UNAVAILABLE_TIMEOUT: {
    flag: 'database-unavailable-timeout',
    default: '5000',
    help: 'PostgreSQL: longest the database may go without answering, in ms, before requests get 503',
  },
  JWT_SECRET: {
    flag: 'jwt-secret',
    default: undefined,
    help: 'HS256 secret, at least 32 characters; several comma-separated while rotating (current first)',
  },
  JWT_PUBLIC_KEY: {
    flag: 'jwt-public-key',
    default: undefined,
    help: 'PEM public key (or a path to one) for RS256, ES256 or EdDSA tokens; several PEM blocks while rotating',
  },
  JWT_JWKS_URL: {
    flag: 'jwt-jwks-url',
    default: undefined,
    help: 'JWKS URL for RS256, ES256 or EdDSA tokens',
  },
  JWT_ISSUER: { flag: 'jwt-issuer', default: undefined, help: 'required iss claim, when set' },
  JWT_AUDIENCE: { flag: 'jwt-audience', default: undefined, help: 'required aud claim, when set' },
  BODY_LIMIT: {
    flag: 'body-limit',
    default: String(16 * 1024 * 1024),
    help: 'largest request body in bytes',
  },
  REQUEST_TIMEOUT: {
    flag: 'request-timeout',
    default: '30000',
    help: 'longest a request (headers and body) may take to arrive, in ms (then 408)',
  },
  HEADERS_TIMEOUT: {
    flag: 'headers-timeout',
    default: '10000',
    help: 'longest the request headers may take to arrive, in ms (at most REQUEST_TIMEOUT)',
  },
  KEEP_ALIVE_TIMEOUT: {
    flag: 'keep-alive-timeout',
    default: '72000',
    help: 'how long an idle keep-alive connection stays open, in ms (above your load balancer’s idle timeout)',
  },
  MAX_CONNECTIONS: {
    flag: 'max-connections',
    default: '4096',
    help: 'most client connections open at once; further ones are closed as they arrive',
  },
  METRICS_PORT: {
    flag: 'metrics-port',
    default: undefined,
    help: 'serve GET /metrics (Prometheus) on this port of HOST, unauthenticated',
  },
  METRICS_TOKEN: {
    flag: 'metrics-token',
    default: undefined,
    help: 'serve GET /metrics on PORT to Authorization: Bearer <this> (at least 16 characters)',
  },
  TRUST_PROXY: {
    flag: 'trust-proxy',
    default: 'false',
    help: 'believe X-Forwarded-For from: false, true (any), or the proxies’ addresses/CIDRs, comma-separated',
  },
  LOG_LEVEL: { flag: 'log-level', default: 'info', help: 'fatal, error, warn, info, debug, trace or silent' },
  DATA_KEY: {
    flag: 'data-key',
    default: undefined,
    help: 'master keys sealing personal fields: id:base64(32 bytes)[,…] (current first) or a file; default: generated data-keys file',
  },
  SEALED_CACHE_MB: {
    flag: 'sealed-cache-mb',
    default: '32',
    help: 'memory for opened personal fields, in MiB',
  },
  INTEGRITY_ORIGIN: {
    flag: 'integrity-origin',
    default: undefined,
    help: 'prefix of every log origin in checkpoints, e.g. audit.example.com; default sealog.invalid/<random>, fixed at first start',
  },
  SIGNING_KEY: {
    flag: 'signing-key',
    default: undefined,
    help: 'Ed25519 private key (PKCS#8 PEM, or a path to one) signing checkpoints; default: generated file',
  },
  CHECKPOINT_INTERVAL: {
    flag: 'checkpoint-interval',
    default: '60',
    help: 'seconds between checkpoints of each log that grew',
  },
  CHECKPOINT_DIR: {
    flag: 'checkpoint-dir',
    default: undefined,
    help: 'directory every checkpoint is also written to (one file each, never overwritten)',
  },
  CHECKPOINT_URL: {
    flag: 'checkpoint-url',
    default: undefined,
    help: 'URL every checkpoint is also POSTed to (text/plain, retried with back-off)',
  },
  PURGE_INTERVAL: {
    flag: 'purge-interval',
    default: '3600',
    help: 'seconds between retention purges (the first within a minute of start); 0: only sealog purge',
  },
  RETENTION: {
    flag: 'retention',
    default: undefined,
    help:
      'how long logs are kept, per kind (and per field that may be kept for less), for every tenant without ' +
      'an override: key=period,… with periods <n>d, <n>h or forever, e.g. communication-logs.content=7d; ' +
      `defaults ${DEFAULT_RETENTION}`,
  },
  CONSOLE_SESSION_TTL: {
    flag: 'console-session-ttl',
    default: '28800',
    help: 'seconds a web console sign-in lasts (at most until the exp of the token it was made from)',
  },
  STREAMS_FILE: {
    flag: 'streams-file',
    default: undefined,
    help: 'JSON file of the platform’s log streams, every tenant’s records to a SIEM (README, Streams); applied at each start',
  },
  STREAM_LEASE: {
    flag: 'stream-lease',
    default: '15',
    help: 'seconds a process holds a stream unless it renews it: another process takes over a dead one’s streams after this',
  },
  STREAM_PRIVATE_DESTINATIONS: {
    flag: 'stream-private-destinations',
    default: 'deny',
    help: 'deny: a tenant’s stream may only reach public addresses (no loopback, private or link-local); allow: any',
  },
  TUYA_CLIENTS: {
    flag: 'tuya-clients',
    default: undefined,
    help: 'Tuya projects: client_id:secret:tenant_id[:legacy],…',
  },
  TUYA_CLIENTS_FILE: {
    flag: 'tuya-clients-file',
    default: undefined,
    help: 'file with one client_id:secret:tenant_id[:legacy] per line',
  },
  TUYA_TOKEN_TTL: { flag: 'tuya-token-ttl', default: '7200', help: 'Tuya access-token lifetime in seconds' },
  TUYA_SIGN_WINDOW: {
    flag: 'tuya-sign-window',
    default: '900',
    help: "seconds a signed request's t may differ from the server clock",
  },
} as const satisfies Record<string, { flag: string; default: string | undefined; help: string }>;

export type SettingName = keyof typeof SETTINGS;
/** Raw setting values by variable name, e.g. from process.env merged with CLI flags. */
export type RawSettings = Partial<Record<SettingName, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Validates raw settings into a Config. CLI flags win over environment variables; empty strings
 * count as unset. Throws ConfigError naming the first unusable variable.
 */
export function parseConfig(env: RawSettings, flags: RawSettings = {}): Config {
  const value = (name: SettingName): string | undefined => {
    const raw = flags[name] ?? env[name];
    return raw === undefined || raw === '' ? SETTINGS[name].default : raw;
  };
  const required = (name: SettingName): string => value(name) ?? '';

  const jwt: JwtSettings = {
    secrets: parseSecrets(value('JWT_SECRET')),
    publicKeysPem: parsePublicKeys(value('JWT_PUBLIC_KEY')),
    jwksUrl: parseUrl('JWT_JWKS_URL', value('JWT_JWKS_URL')),
    issuer: value('JWT_ISSUER'),
    audience: value('JWT_AUDIENCE'),
  };
  const keySources = (['JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL'] as const).filter(
    (name) => value(name) !== undefined,
  );
  if (keySources.length > 1) {
    throw new ConfigError(
      keySources[1] ?? '',
      `cannot be combined with ${keySources[0] ?? ''}: configure one key source`,
    );
  }

  const logLevel = required('LOG_LEVEL');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  return {
    port: parseInteger('PORT', required('PORT'), 0, 65_535),
    host: required('HOST'),
    workers: parseWorkers(required('WORKERS')),
    store: parseDatabaseUrl(required('DATABASE_URL'), {
      poolSize: parseInteger('DATABASE_POOL_SIZE', required('DATABASE_POOL_SIZE'), 1, 1000),
      statementTimeoutMs: parseInteger(
        'DATABASE_STATEMENT_TIMEOUT',
        required('DATABASE_STATEMENT_TIMEOUT'),
        100,
        3_600_000,
      ),
      unavailableTimeoutMs: parseInteger(
        'DATABASE_UNAVAILABLE_TIMEOUT',
        required('DATABASE_UNAVAILABLE_TIMEOUT'),
        500,
        600_000,
      ),
    }),
    jwt,
    limits: parseLimits(required),
    logLevel,
    tuya: {
      projects: parseTuyaProjects(value('TUYA_CLIENTS'), value('TUYA_CLIENTS_FILE')),
      tokenTtlSeconds: parseInteger('TUYA_TOKEN_TTL', required('TUYA_TOKEN_TTL'), 1, 30 * 86_400),
      signWindowSeconds: parseInteger('TUYA_SIGN_WINDOW', required('TUYA_SIGN_WINDOW'), 1, 86_400),
    },
    metrics: parseMetrics(value('METRICS_PORT'), value('METRICS_TOKEN')),
    trustProxy: parseTrustProxy(required('TRUST_PROXY')),
    integrity: {
      dataKey: value('DATA_KEY'),
      sealedCacheBytes: parseInteger('SEALED_CACHE_MB', required('SEALED_CACHE_MB'), 1, 65_536) * 1024 * 1024,
      originPrefix: value('INTEGRITY_ORIGIN'),
      signingKey: value('SIGNING_KEY'),
      checkpointIntervalMs:
        parseInteger('CHECKPOINT_INTERVAL', required('CHECKPOINT_INTERVAL'), 1, 86_400) * 1000,
      checkpointDir: value('CHECKPOINT_DIR'),
      checkpointUrl: value('CHECKPOINT_URL'),
    },
    retention: parseRetention(value('RETENTION')),
    purgeIntervalMs: parseInteger('PURGE_INTERVAL', required('PURGE_INTERVAL'), 0, 30 * 86_400) * 1000,
    consoleSessionTtlMs:
      parseInteger('CONSOLE_SESSION_TTL', required('CONSOLE_SESSION_TTL'), 60, 30 * 86_400) * 1000,
    streams: {
      file: value('STREAMS_FILE'),
      leaseMs: parseInteger('STREAM_LEASE', required('STREAM_LEASE'), 3, 3_600) * 1000,
      allowPrivateDestinations:
        parseChoice('STREAM_PRIVATE_DESTINATIONS', required('STREAM_PRIVATE_DESTINATIONS'), [
          'deny',
          'allow',
        ]) === 'allow',
    },
  };
}

function parseRetention(raw: string | undefined): PolicyPeriods {
  try {
    return parseRetentionSetting(raw);
  } catch (error) {
    if (error instanceof RetentionSettingError) throw new ConfigError('RETENTION', error.message);
    throw error;
  }
}

function parseMetrics(port: string | undefined, token: string | undefined): MetricsSettings {
  if (token !== undefined && token.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters long');
  }
  return { port: port === undefined ? undefined : parseInteger('METRICS_PORT', port, 0, 65_535), token };
}

function parseTrustProxy(raw: string): boolean | string[] {
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  const addresses = raw.split(',').map((address) => address.trim());
  if (addresses.some((address) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(address))) {
    throw new ConfigError('TRUST_PROXY', `must be false, true, or proxy addresses/CIDRs (got "${raw}")`);
  }
  return addresses;
}

function parseLimits(required: (name: SettingName) => string): HttpLimits {
  const requestTimeoutMs = parseInteger('REQUEST_TIMEOUT', required('REQUEST_TIMEOUT'), 100, 3_600_000);
  const headersTimeoutMs = parseInteger('HEADERS_TIMEOUT', required('HEADERS_TIMEOUT'), 100, 3_600_000);
  return {
    bodyLimitBytes: parseInteger('BODY_LIMIT', required('BODY_LIMIT'), 1024, 1024 * 1024 * 1024),
    requestTimeoutMs,
    // Node refuses a headers timeout above the request timeout; the request timeout covers both.
    headersTimeoutMs: Math.min(headersTimeoutMs, requestTimeoutMs),
    keepAliveTimeoutMs: parseInteger('KEEP_ALIVE_TIMEOUT', required('KEEP_ALIVE_TIMEOUT'), 100, 3_600_000),
    maxConnections: parseInteger('MAX_CONNECTIONS', required('MAX_CONNECTIONS'), 1, 1_000_000),
  };
}

/**
 * Parses `client_id:secret:tenant_id[:legacy]` entries, comma-separated in TUYA_CLIENTS and one
 * per line (blank lines and # comments allowed) in TUYA_CLIENTS_FILE. Secrets are never echoed
 * in error messages.
 */
function parseTuyaProjects(inline: string | undefined, file: string | undefined): TuyaProject[] {
  const entries: { variable: SettingName; entry: string }[] = [];
  for (const entry of (inline ?? '').split(','))
    entries.push({ variable: 'TUYA_CLIENTS', entry: entry.trim() });
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError('TUYA_CLIENTS_FILE', `cannot be read ("${file}")`);
    }
    for (const line of text.split('\n')) {
      entries.push({ variable: 'TUYA_CLIENTS_FILE', entry: line.replace(/#.*/, '').trim() });
    }
  }
  const projects = new Map<string, TuyaProject>();
  for (const { variable, entry } of entries) {
    if (entry === '') continue;
    const [clientId = '', secret = '', tenantId = '', flag, ...rest] = entry.split(':');
    if (clientId === '' || tenantId === '' || rest.length > 0 || (flag !== undefined && flag !== 'legacy')) {
      throw new ConfigError(
        variable,
        `entries must look like client_id:secret:tenant_id[:legacy] (check "${clientId}")`,
      );
    }
    if (secret.length < 16)
      throw new ConfigError(variable, `secret of client ${clientId} must be at least 16 characters`);
    if (projects.has(clientId)) throw new ConfigError(variable, `lists client ${clientId} twice`);
    projects.set(clientId, { clientId, secret, tenantId, allowLegacySignature: flag === 'legacy' });
  }
  return [...projects.values()];
}

/** WORKERS: `auto` (one per core the process may use) or a count. */
function parseWorkers(raw: string): number {
  return raw === 'auto' ? availableParallelism() : parseInteger('WORKERS', raw, 1, 256);
}

function parseInteger(name: SettingName, raw: string, min: number, max: number): number {
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return parsed;
}

function parseDatabaseUrl(
  raw: string,
  postgres: { poolSize: number; statementTimeoutMs: number; unavailableTimeoutMs: number },
): StoreLocation {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new ConfigError('DATABASE_URL', 'needs a file path after sqlite: (e.g. sqlite:./data/sealog.db)');
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    if (!URL.canParse(raw))
      throw new ConfigError(
        'DATABASE_URL',
        'is not a valid URL (e.g. postgres://sealog@127.0.0.1:5432/sealog)',
      );
    return { kind: 'postgres', url: raw, ...postgres };
  }
  throw new ConfigError(
    'DATABASE_URL',
    `must start with sqlite: or postgres:// (got "${raw.split(':')[0] ?? raw}:…")`,
  );
}

function parseUrl(name: SettingName, raw: string | undefined): URL | undefined {
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError(name, 'must be an http(s) URL');
  }
  return new URL(raw);
}

/** JWT_SECRET: one secret, or several separated by commas during a rotation (current first). */
function parseSecrets(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  // Not trimmed: a secret is used byte for byte, as it was before lists were allowed.
  const secrets = raw.split(',');
  if (secrets.some((secret) => Buffer.byteLength(secret) < 32)) {
    throw new ConfigError(
      'JWT_SECRET',
      'must be at least 32 characters (256 bits) long for HS256, each secret of a comma-separated list',
    );
  }
  return secrets;
}

/**
 * JWT_PUBLIC_KEY holds the PEM itself or the path of a PEM file; either may hold several keys
 * (PEM blocks one after the other) during a rotation.
 */
function parsePublicKeys(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  let text: string;
  if (raw.includes('-----BEGIN')) text = raw.replace(/\\n/g, '\n');
  else {
    try {
      text = readFileSync(raw, 'utf8');
    } catch {
      throw new ConfigError(
        'JWT_PUBLIC_KEY',
        `must be a PEM public key or the path of one (cannot read "${raw}")`,
      );
    }
  }
  const blocks = text.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g);
  // Something that is no PEM at all is left whole, for the key check to name it.
  return blocks ?? [text];
}

/** One of `choices`, or a ConfigError naming them. */
function parseChoice<Choice extends string>(
  name: SettingName,
  raw: string,
  choices: readonly Choice[],
): Choice {
  const found = choices.find((choice) => choice === raw);
  if (found === undefined) throw new ConfigError(name, `must be one of ${choices.join(', ')} (got ${raw})`);
  return found;
}
