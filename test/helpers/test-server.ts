import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { parseConfig, type RawSettings } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

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
  dbPath: string;
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
  close(): Promise<void>;
}

/**
 * Starts a real sealog server on an ephemeral port with its own SQLite file in a fresh temporary
 * directory; close() stops it and deletes the directory.
 */
export async function startTestServer(settings: RawSettings = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sealog-test-'));
  const dbPath = join(dir, 'sealog.db');
  const config = parseConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${dbPath}`,
    LOG_LEVEL: 'silent',
    ...(settings.JWT_PUBLIC_KEY === undefined && settings.JWT_JWKS_URL === undefined
      ? { JWT_SECRET: TEST_SECRET }
      : {}),
    ...settings,
  });
  const server = await startServer(config);
  const url = server.url;

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
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };

  return {
    url,
    dbPath,
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
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
