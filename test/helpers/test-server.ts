import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { parseConfig, type RawSettings } from '../../src/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.js';
import type { AuditStore } from '../../src/domain/audit-store.js';
import { openStore } from '../../src/storage/open-store.js';
import { createTestSchema } from './postgres-schema.js';

/**
 * The store the HTTP tests run on: `TEST_STORE=postgres` runs them on a fresh schema of
 * TEST_DATABASE_URL per server (npm test does both passes); anything else on a SQLite file.
 */
export const TEST_STORE: 'sqlite' | 'postgres' =
  process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The HS256 secret every test server is configured with. */
export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-bytes!';

export interface TokenClaims {
  sub?: string;
  tenant_id?: string;
  roles?: string[];
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  [claim: string]: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface TestServer {
  url: string;
  /** The SQLite file (TEST_STORE=sqlite), or a path in the server's own temporary directory. */
  dbPath: string;
  /** The server's DATABASE_URL: its SQLite file, or its PostgreSQL schema. */
  databaseUrl: string;
  server: RunningServer;
  /** Mints an HS256 token with the server's secret (or `secret`). */
  token(claims?: TokenClaims, secret?: string): Promise<string>;
  /** Real HTTP request to the running server; the JSON body is parsed. */
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  /** Shortcut: ingest records of `kind` with a tenant writer token; fails the test on a non-200. */
  ingest(kind: string, tenantId: string | undefined, records: unknown[]): Promise<ApiResponse>;
  /** Opens the server's database anew (migrated), as another process would; the caller closes it. */
  reopenStore(): Promise<AuditStore>;
  /** Stops the server, keeping its data. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same data; `url` and `server` change. */
  restart(): Promise<void>;
  /** Stops the server if it runs and deletes its data. */
  close(): Promise<void>;
}

/**
 * Starts a real sealog server on an ephemeral port with its own store (see TEST_STORE) and a fresh
 * temporary directory; close() stops it and deletes both.
 */
export async function startTestServer(
  settings: RawSettings = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-test-'));
  const dbPath = join(dir, 'sealog.db');
  const schema = TEST_STORE === 'postgres' ? await createTestSchema() : undefined;
  const config = parseConfig({
    PORT: '0',
    DATABASE_URL: schema?.url ?? `sqlite:${dbPath}`,
    LOG_LEVEL: 'silent',
    // No scheduled retention purge behind a test's back (its first run comes within a minute):
    // tests of the purge run it themselves.
    PURGE_INTERVAL: '0',
    // Streams' receivers in tests listen on loopback (stream-destinations.test.ts checks the default).
    STREAM_PRIVATE_DESTINATIONS: 'allow',
    ...(settings.JWT_PUBLIC_KEY === undefined && settings.JWT_JWKS_URL === undefined
      ? { JWT_SECRET: TEST_SECRET }
      : {}),
    ...settings,
  });
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    await api.server.close();
  };

  const token: TestServer['token'] = async (claims = {}, secret = TEST_SECRET) => {
    const { sub = 'usr_test', expiresIn = 3600, ...rest } = claims;
    return new SignJWT({ ...rest })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(new TextEncoder().encode(secret));
  };

  const request: TestServer['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${api.url}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };

  const server = await startServer(config, options);
  const api: TestServer = {
    url: server.url,
    dbPath,
    databaseUrl: schema?.url ?? `sqlite:${dbPath}`,
    server,
    token,
    request,
    async ingest(kind, tenantId, records) {
      const writer = await token({
        sub: 'svc_writer',
        roles: ['audit:write'],
        ...(tenantId === undefined ? {} : { tenant_id: tenantId }),
      });
      const response = await request('POST', `/v1/ingest/${kind}`, { token: writer, body: records });
      if (response.status !== 200)
        throw new Error(`ingest failed: ${response.status} ${JSON.stringify(response.body)}`);
      return response;
    },
    async reopenStore() {
      const store = openStore(config.store, { integrity: config.integrity });
      await store.migrate();
      return store;
    },
    stop,
    async restart() {
      await stop();
      api.server = await startServer(config, options);
      api.url = api.server.url;
      running = true;
    },
    async close() {
      await stop();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
