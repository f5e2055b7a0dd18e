import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { startTestServer, TEST_SECRET, type ApiResponse, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

type SigningKey = Parameters<SignJWT['sign']>[0];

const ADMIN_LOGS = '/admin/communication/logs';
const OWN_LOGS = '/communication/logs';
const INGEST = '/v1/ingest/communication-logs';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const SECRET_KEY = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Claims of a valid tenant-admin token; an override set to undefined leaves that claim out. */
function adminClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  return { sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'], exp: nowSeconds() + 3600, ...overrides };
}

/** Signs exactly `claims` (no claim added) with `alg` and, when given, a `kid` header. */
function sign(key: SigningKey, claims: JWTPayload, alg = 'HS256', kid?: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(kid === undefined ? { alg } : { alg, kid }).sign(key);
}

/** An unsecured JWT (RFC 7519 §6): header {"alg":"none"}, the payload and an empty signature. */
function unsecuredToken(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** A valid communication-log record for the ingest endpoint. */
function commLog(overrides: Record<string, unknown> = {}) {
  return { user_id: 'usr_alice', channel: 'sms', recipient: '13800138000', ...overrides };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function assertOk(response: ApiResponse): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.code, 200);
}

/** The AuthMS error body: exactly {code, message, timestamp}, code equal to the status. */
function assertAuthmsError(response: ApiResponse, status: number, message: RegExp): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'timestamp']);
  assert.equal(response.body.code, status);
  assert.match(String(response.body.message), message);
  assert.match(String(response.body.timestamp), RFC3339);
}

describe('401: the bearer token on GET /admin/communication/logs', () => {
  let api: TestServer;
  const refused = async (headers: Record<string, string>, message: RegExp, path = ADMIN_LOGS) => {
    assertAuthmsError(await api.request('GET', path, { headers }), 401, message);
  };

  before(async () => {
    api = await startTestServer();
  });
  after(() => api.close());

  test('a valid HS256 admin token is accepted (control)', async () => {
    assertOk(await api.request('GET', ADMIN_LOGS, { token: await sign(SECRET_KEY, adminClaims()) }));
  });

  test('no Authorization header', () => refused({}, /missing bearer token/));

  test('Authorization: Basic …', () =>
    refused({ authorization: `Basic ${Buffer.from('admin:hunter2').toString('base64')}` }, /Bearer/));

  test('a malformed token', async () => {
    for (const token of ['abc', 'a.b.c']) await refused(bearer(token), /malformed token/);
  });

  test('an expired token', async () => {
    const token = await api.token({ tenant_id: 'tnt_a', roles: ['admin'], expiresIn: -3600 });
    await refused(bearer(token), /expired/);
  });

  test('a token not yet valid (nbf one hour ahead)', async () => {
    const token = await new SignJWT(adminClaims())
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(nowSeconds() + 3600)
      .sign(SECRET_KEY);
    await refused(bearer(token), /not yet valid/);
  });

  test('a token signed with another secret', async () => {
    const token = await api.token(adminClaims(), 'another-secret-of-at-least-thirty-two-bytes');
    await refused(bearer(token), /signature/);
  });

  test('an unsecured token (alg none)', () => refused(bearer(unsecuredToken(adminClaims())), /algorithm/));

  test('HS512 signed with the right secret: algorithm not allowed', async () => {
    await refused(bearer(await sign(SECRET_KEY, adminClaims(), 'HS512')), /algorithm not allowed/);
  });

  test('a token without exp', async () => {
    await refused(bearer(await sign(SECRET_KEY, adminClaims({ exp: undefined }))), /\bexp\b/);
  });

  test('a token without sub, or with an empty sub', async () => {
    for (const sub of [undefined, ''])
      await refused(bearer(await sign(SECRET_KEY, adminClaims({ sub }))), /\bsub\b/);
  });

  test('roles that are not an array of strings', async () => {
    for (const roles of ['admin', [1], ['admin', null], { admin: true }])
      await refused(
        bearer(await sign(SECRET_KEY, adminClaims({ roles }))),
        /roles must be an array of strings/,
      );
  });

  test('tenant_id that is not a (non-empty) string', async () => {
    for (const tenant_id of [42, null, ['tnt_a'], ''])
      await refused(bearer(await sign(SECRET_KEY, adminClaims({ tenant_id }))), /tenant_id must be/);
  });

  test('401 comes before parameter validation: ?page=0 without a token', async () => {
    await refused({}, /missing bearer token/, `${ADMIN_LOGS}?page=0`);
    const expired = await api.token({ tenant_id: 'tnt_a', roles: ['admin'], expiresIn: -3600 });
    await refused(bearer(expired), /expired/, `${ADMIN_LOGS}?page=0`);
  });

  test('every protected endpoint refuses a request without a token', async () => {
    await refused({}, /missing bearer token/, OWN_LOGS);
    await refused({}, /missing bearer token/, '/admin/mfa/config-audit-logs');
    assertAuthmsError(await api.request('POST', INGEST, { body: [commLog()] }), 401, /missing bearer token/);
  });
});

describe('JWT_ISSUER and JWT_AUDIENCE', () => {
  const issuer = 'https://authms.example.com';
  const audience = 'sealog';
  let api: TestServer;
  const get = async (claims: Record<string, unknown>) =>
    api.request('GET', ADMIN_LOGS, { token: await sign(SECRET_KEY, adminClaims(claims)) });

  before(async () => {
    api = await startTestServer({ JWT_ISSUER: issuer, JWT_AUDIENCE: audience });
  });
  after(() => api.close());

  test('the right iss and aud → 200', async () => {
    assertOk(await get({ iss: issuer, aud: audience }));
  });
  for (const [name, claims, message] of [
    ['a wrong iss', { iss: 'https://evil.example.com', aud: audience }, /\biss\b/],
    ['a missing iss', { aud: audience }, /\biss\b/],
    ['a wrong aud', { iss: issuer, aud: 'other-service' }, /\baud\b/],
    ['a missing aud', { iss: issuer }, /\baud\b/],
  ] as const) {
    test(`${name} → 401`, async () => {
      assertAuthmsError(await get(claims), 401, message);
    });
  }
});

describe('JWT_SECRET rotation: the new secret first, the old one beside it, then the new one alone', () => {
  const oldSecret = 'old-secret-of-at-least-thirty-two-bytes!';
  const newSecret = 'new-secret-of-at-least-thirty-two-bytes!';
  const servers: TestServer[] = [];
  const tokens = { old: '', new: '' };
  const status = async (api: TestServer, token: string) =>
    (await api.request('GET', ADMIN_LOGS, { token })).status;

  before(async () => {
    tokens.old = await sign(new TextEncoder().encode(oldSecret), adminClaims());
    tokens.new = await sign(new TextEncoder().encode(newSecret), adminClaims());
    for (const secrets of [oldSecret, `${newSecret},${oldSecret}`, newSecret]) {
      servers.push(await startTestServer({ JWT_SECRET: secrets }));
    }
  });
  after(() => Promise.all(servers.map((api) => api.close())));

  test('before: only the old secret verifies', async () => {
    const [before] = servers as [TestServer];
    assert.equal(await status(before, tokens.old), 200);
    assertAuthmsError(await before.request('GET', ADMIN_LOGS, { token: tokens.new }), 401, /signature/);
  });
  test('during: tokens of both secrets verify', async () => {
    const during = servers[1] as TestServer;
    assert.equal(await status(during, tokens.old), 200);
    assert.equal(await status(during, tokens.new), 200);
  });
  test('after: only the new secret verifies', async () => {
    const after = servers[2] as TestServer;
    assert.equal(await status(after, tokens.new), 200);
    assertAuthmsError(await after.request('GET', ADMIN_LOGS, { token: tokens.old }), 401, /signature/);
  });
  test('a list with a short secret is refused at start, naming JWT_SECRET', async () => {
    await assert.rejects(startTestServer({ JWT_SECRET: `${newSecret},short` }), /JWT_SECRET.*at least 32/);
  });
});

describe('JWT_PUBLIC_KEY rotation: two PEM blocks', () => {
  let api: TestServer;
  const keys: SigningKey[] = [];

  before(async () => {
    const pems: string[] = [];
    for (const alg of ['ES256', 'RS256'] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      keys.push(pair.privateKey);
      pems.push(await exportSPKI(pair.publicKey));
    }
    api = await startTestServer({ JWT_PUBLIC_KEY: pems.join('\n') });
  });
  after(() => api.close());

  test("a token of either key verifies; a stranger's does not", async () => {
    const [es256, rs256] = keys as [SigningKey, SigningKey];
    assertOk(await api.request('GET', ADMIN_LOGS, { token: await sign(es256, adminClaims(), 'ES256') }));
    assertOk(await api.request('GET', ADMIN_LOGS, { token: await sign(rs256, adminClaims(), 'RS256') }));
    const stranger = (await generateKeyPair('ES256')).privateKey;
    const token = await sign(stranger, adminClaims(), 'ES256');
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /signature/);
  });
});

describe('verified tokens are remembered, never past their exp and only by their exact text', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer();
  });
  after(() => api.close());

  test('a token that verified is refused once it expires', async () => {
    const token = await sign(SECRET_KEY, adminClaims({ exp: nowSeconds() + 2 }));
    assertOk(await api.request('GET', ADMIN_LOGS, { token }));
    // Refused once exp (plus the 5 s clock tolerance) has passed, although it verified before.
    await waitFor(
      'the token to expire',
      async () => (await api.request('GET', ADMIN_LOGS, { token })).status === 401,
    );
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /expired/);
  });
  test('a verified token with its signature altered is refused', async () => {
    const token = await sign(SECRET_KEY, adminClaims());
    assertOk(await api.request('GET', ADMIN_LOGS, { token }));
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${token.slice(0, -2)}${last}${token.at(-1) ?? ''}`;
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token: altered }), 401, /signature|malformed/);
  });
});

for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
  describe(`JWT_PUBLIC_KEY: an ${alg} PEM`, () => {
    let api: TestServer;
    let privateKey: SigningKey;
    let strangerKey: SigningKey;
    let pem: string;

    before(async () => {
      const pair = await generateKeyPair(alg, { extractable: true });
      privateKey = pair.privateKey;
      strangerKey = (await generateKeyPair(alg)).privateKey;
      pem = await exportSPKI(pair.publicKey);
      api = await startTestServer({ JWT_PUBLIC_KEY: pem });
    });
    after(() => api.close());

    test('a token signed with the private key → 200', async () => {
      assertOk(await api.request('GET', ADMIN_LOGS, { token: await sign(privateKey, adminClaims(), alg) }));
    });
    test('an HS256 token keyed with the PEM text (key confusion) → 401', async () => {
      const token = await api.token(adminClaims(), pem);
      assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /algorithm not allowed/);
    });
    test('a token signed by another key pair → 401', async () => {
      const token = await sign(strangerKey, adminClaims(), alg);
      assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /signature/);
    });
  });
}

describe('JWT_PUBLIC_KEY: the path of a PEM file', () => {
  let api: TestServer;
  let dir: string;
  let privateKey: SigningKey;
  let strangerKey: SigningKey;

  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    dir = mkdtempSync(join(tmpdir(), 'sealog-auth-'));
    const file = join(dir, 'public.pem');
    writeFileSync(file, await exportSPKI(pair.publicKey));
    api = await startTestServer({ JWT_PUBLIC_KEY: file });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a token signed with the private key → 200', async () => {
    assertOk(await api.request('GET', ADMIN_LOGS, { token: await sign(privateKey, adminClaims(), 'ES256') }));
  });
  test('a token signed by another key pair → 401', async () => {
    const token = await sign(strangerKey, adminClaims(), 'ES256');
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /signature/);
  });
});

describe('JWT_JWKS_URL', () => {
  let jwks: Server;
  let api: TestServer;
  let privateKey: SigningKey;
  let nextKey: SigningKey;
  let strangerKey: SigningKey;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    // During a rotation the set publishes the next key beside the current one.
    const next = await generateKeyPair('ES256', { extractable: true });
    nextKey = next.privateKey;
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'key-next', alg: 'ES256', use: 'sig' };
    jwks = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk, nextJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    api = await startTestServer({ JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` });
  });
  after(async () => {
    await api.close();
    jwks.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      jwks.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  });

  test('a token with the published kid → 200', async () => {
    const token = await sign(privateKey, adminClaims(), 'RS256', 'key-1');
    assertOk(await api.request('GET', ADMIN_LOGS, { token }));
  });
  test('a token of the next key, published beside the current one (rotation) → 200', async () => {
    const token = await sign(nextKey, adminClaims(), 'ES256', 'key-next');
    assertOk(await api.request('GET', ADMIN_LOGS, { token }));
  });
  test('a token signed by an unknown key → 401', async () => {
    const token = await sign(strangerKey, adminClaims(), 'RS256', 'key-2');
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /signature/);
  });
  test('a token claiming the published kid but signed by another key → 401', async () => {
    const token = await sign(strangerKey, adminClaims(), 'RS256', 'key-1');
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /signature/);
  });
  test('an HS256 token → 401', async () => {
    const token = await api.token(adminClaims());
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token }), 401, /algorithm not allowed/);
  });
});

describe('403: roles and tenants', () => {
  let api: TestServer;
  let platformAdmin: string;
  let user: string;
  let writer: string;
  /** Every stored communication log, across tenants, as a platform admin sees it. */
  const total = async (): Promise<number> => {
    const response = await api.request('GET', `${ADMIN_LOGS}?page_size=1`, { token: platformAdmin });
    assertOk(response);
    return Number(response.body.total);
  };
  const ingest = (token: string, records: unknown[]) => api.request('POST', INGEST, { token, body: records });

  before(async () => {
    api = await startTestServer();
    platformAdmin = await api.token({ sub: 'usr_root', roles: ['admin'] });
    user = await api.token({ sub: 'usr_alice', tenant_id: 'tnt_a' });
    writer = await api.token({ sub: 'svc_writer', tenant_id: 'tnt_a', roles: ['audit:write'] });
    await api.ingest('communication-logs', 'tnt_a', [commLog({ id: 'log_seed' })]);
  });
  after(() => api.close());

  test('an ordinary user reads its own logs (control)', async () => {
    const response = await api.request('GET', OWN_LOGS, { token: user });
    assertOk(response);
    assert.deepEqual(
      (response.body.items as { id: string }[]).map((item) => item.id),
      ['log_seed'],
    );
  });

  test('an ordinary user on the admin endpoints → 403', async () => {
    for (const path of [ADMIN_LOGS, '/admin/mfa/config-audit-logs'])
      assertAuthmsError(await api.request('GET', path, { token: user }), 403, /admin role/);
  });

  test('an audit:write-only token cannot read → 403', async () => {
    assertAuthmsError(await api.request('GET', ADMIN_LOGS, { token: writer }), 403, /admin role/);
    assertAuthmsError(await api.request('GET', OWN_LOGS, { token: writer }), 403, /may only ingest/);
  });

  test('an admin token cannot ingest → 403, nothing stored', async () => {
    const before = await total();
    const admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
    assertAuthmsError(await ingest(admin, [commLog({ id: 'log_by_admin' })]), 403, /audit:write/);
    assert.equal(await total(), before);
  });

  test('an ordinary user without tenant_id on GET /communication/logs → 403', async () => {
    const token = await api.token({ sub: 'usr_alice' });
    assertAuthmsError(await api.request('GET', OWN_LOGS, { token }), 403, /tenant_id/);
  });

  test('a token holding admin and audit:write can ingest and read', async () => {
    const token = await api.token({ sub: 'svc_ops', tenant_id: 'tnt_a', roles: ['admin', 'audit:write'] });
    const written = await ingest(token, [commLog({ id: 'log_by_ops' })]);
    assertOk(written);
    assert.deepEqual(written.body.ids, ['log_by_ops']);
    const read = await api.request('GET', ADMIN_LOGS, { token });
    assertOk(read);
    assert.ok((read.body.items as { id: string }[]).some((item) => item.id === 'log_by_ops'));
  });

  test('a tenant writer sending a record of another tenant → 403, nothing written', async () => {
    const before = await total();
    const single = await ingest(writer, [commLog({ id: 'log_x1', tenant_id: 'tnt_b' })]);
    assertAuthmsError(single, 403, /record 0: tenant_id tnt_b is outside/);
    const batch = await ingest(writer, [
      commLog({ id: 'log_x2' }),
      commLog({ id: 'log_x3', tenant_id: 'tnt_b' }),
    ]);
    assertAuthmsError(batch, 403, /record 1: tenant_id tnt_b/);
    assert.equal(await total(), before);
  });

  test('a platform writer sending a record without tenant_id → 400 naming record 0 and tenant_id', async () => {
    const before = await total();
    const platformWriter = await api.token({ sub: 'svc_platform', roles: ['audit:write'] });
    const response = await ingest(platformWriter, [commLog({ id: 'log_y1' })]);
    assertAuthmsError(response, 400, /record 0\b.*\btenant_id\b/);
    assert.equal(await total(), before);
  });
});
