/**
 * The console's sign-in over real HTTP: one-time links and tokens exchanged for a session cookie,
 * the cookie authenticating every bearer route with a token's isolation and access log, the
 * Origin check on cookie-authenticated changes, and sign-out ending the session on the server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ConsoleSessionService } from '../src/domain/console-sessions.js';
import type { Principal } from '../src/domain/principal.js';
import { startTestServer, type ApiResponse, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const SESSION_TTL_SECONDS = 28_800;

function commLog(id: string, userId: string) {
  return {
    id,
    user_id: userId,
    channel: 'sms',
    status: 'delivered',
    recipient: '13800138000',
    provider: 'aliyun',
    template_id: 'tpl_1',
    content: 'code 1234',
    created_at: '2026-04-15T10:00:00Z',
  };
}

/** The `sealog_session=…` pair of a response's Set-Cookie, for a Cookie header; fails without one. */
function sessionCookie(response: ApiResponse): string {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith('sealog_session='));
  assert.ok(header !== undefined, `a session cookie is set: ${JSON.stringify(response.body)}`);
  return header.split(';')[0] ?? '';
}

describe('console sign-in and the session cookie', () => {
  let api: TestServer;
  let skewMs = 0;
  let links: ConsoleSessionService;
  let consoleRoot: string;
  const admin = (sub: string, tenant?: string) =>
    api.token({ sub, roles: ['admin'], ...(tenant === undefined ? {} : { tenant_id: tenant }) });

  before(async () => {
    consoleRoot = mkdtempSync(join(tmpdir(), 'sealog-console-none-'));
    api = await startTestServer(
      // Behind a trusted proxy, the Origin the cookie's changes must carry is the proxy's.
      { TRUST_PROXY: 'true' },
      { now: () => Date.now() + skewMs, consoleRoot },
    );
    links = new ConsoleSessionService(
      api.server.store.consoleSessions,
      { sessionTtlMs: SESSION_TTL_SECONDS * 1000 },
      () => Date.now() + skewMs,
    );
    await api.ingest('communication-logs', 'tnt_a', [commLog('log_a1', 'usr_1')]);
    await api.ingest('communication-logs', 'tnt_b', [commLog('log_b1', 'usr_2')]);
  });
  after(async () => {
    await api.close();
    rmSync(consoleRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    skewMs = 0;
  });

  const link = async (principal: Principal, ttlSeconds = 600) =>
    (await links.issueLink(principal, ttlSeconds)).secret;
  const signIn = (body: unknown, headers: Record<string, string> = {}) =>
    api.request('POST', '/v1/console/sessions', { body, headers });
  /** A session cookie of a fresh link for `principal`. */
  const cookieFor = async (principal: Principal) =>
    sessionCookie(await signIn({ link: await link(principal) }));
  const withCookie = (method: string, path: string, cookie: string, headers: Record<string, string> = {}) =>
    api.request(method, path, { headers: { cookie, ...headers } });
  const tenantAdmin: Principal = { subject: 'usr_ta', tenantId: 'tnt_a', roles: ['admin'] };
  const platformAdmin: Principal = { subject: 'usr_root', tenantId: undefined, roles: ['admin'] };

  test('a link signs in once: the session holds its grant; a second use is 401', async () => {
    const secret = await link(tenantAdmin);
    const first = await signIn({ link: secret });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const data = first.body.data as Record<string, unknown>;
    assert.deepEqual(
      { ...data, expires_at: undefined },
      {
        sub: 'usr_ta',
        tenant_id: 'tnt_a',
        roles: ['admin'],
        expires_at: undefined,
      },
    );
    const expiresAt = Date.parse(String(data.expires_at));
    assert.ok(
      Math.abs(expiresAt - (Date.now() + SESSION_TTL_SECONDS * 1000)) < 60_000,
      String(data.expires_at),
    );
    const cookie = sessionCookie(first);
    const session = await withCookie('GET', '/v1/console/session', cookie);
    assert.equal(session.status, 200);
    assert.deepEqual(session.body.data, data);

    const again = await signIn({ link: secret });
    assert.equal(again.status, 401);
    assert.deepEqual(Object.keys(again.body).sort(), ['code', 'message', 'timestamp']);
    assert.equal(again.body.code, 401);
    assert.match(String(again.body.message), /used already or expired/);
    assert.equal(again.headers.getSetCookie().length, 0, 'no cookie for a used link');
  });

  test('an expired link is 401; a session stops working when it expires', async () => {
    const secret = await link(tenantAdmin, 600);
    skewMs = 600_000;
    assert.equal((await signIn({ link: secret })).status, 401, 'expired at its ttl');

    skewMs = 0;
    const cookie = await cookieFor(tenantAdmin);
    skewMs = SESSION_TTL_SECONDS * 1000 - 1000;
    assert.equal((await withCookie('GET', '/v1/console/session', cookie)).status, 200, 'alive until its end');
    skewMs = SESSION_TTL_SECONDS * 1000;
    assert.equal((await withCookie('GET', '/v1/console/session', cookie)).status, 401);
    const read = await withCookie('GET', '/admin/communication/logs', cookie);
    assert.equal(read.status, 401);
    assert.match(String(read.body.message), /session ended or expired/);
  });

  test('a token signs in when it holds the admin role: non-admin 403, bad or expired token 401', async () => {
    const ok = await signIn({ token: await admin('usr_tok', 'tnt_a') });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((ok.body.data as Record<string, unknown>).sub, 'usr_tok');
    const read = await withCookie('GET', '/admin/communication/logs', sessionCookie(ok));
    assert.equal(read.status, 200);

    const user = await signIn({ token: await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' }) });
    assert.equal(user.status, 403);
    assert.match(String(user.body.message), /admin role/);
    const writer = await signIn({ token: await api.token({ sub: 'svc', roles: ['audit:write'] }) });
    assert.equal(writer.status, 403);
    const forged = await signIn({
      token: await api.token(
        { sub: 'usr_x', roles: ['admin'] },
        'another-secret-of-at-least-thirty-two-bytes',
      ),
    });
    assert.equal(forged.status, 401);
    const expired = await signIn({
      token: await api.token({ sub: 'usr_x', roles: ['admin'], expiresIn: -60 }),
    });
    assert.equal(expired.status, 401);
    assert.equal((await signIn({ token: 'not a jwt' })).status, 401);
    for (const response of [user, writer, forged, expired]) {
      assert.equal(response.headers.getSetCookie().length, 0);
    }
  });

  test('a session made from a token ends when the token expires, if sooner', async () => {
    const response = await signIn({
      token: await api.token({ sub: 'usr_short', roles: ['admin'], expiresIn: 900 }),
    });
    assert.equal(response.status, 200);
    const expiresAt = Date.parse(String((response.body.data as Record<string, unknown>).expires_at));
    assert.ok(Math.abs(expiresAt - (Date.now() + 900_000)) < 60_000, 'at the token’s exp');
    const maxAge = /Max-Age=(\d+)/.exec(response.headers.getSetCookie()[0] ?? '')?.[1];
    assert.ok(Number(maxAge) <= 900 && Number(maxAge) > 800, `Max-Age ${maxAge}`);
  });

  test('bad sign-in bodies are 400 in the AuthMS shape', async () => {
    for (const body of [{}, { link: 'a', token: 'b' }, { link: '' }, { link: 5 }, { other: 'x' }]) {
      const response = await signIn(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.code, 400);
    }
  });

  test('the cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age; Secure only over HTTPS', async () => {
    const plain = await signIn({ link: await link(tenantAdmin) });
    const attributes = (plain.headers.getSetCookie()[0] ?? '').split('; ');
    assert.match(attributes[0] ?? '', /^sealog_session=[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(attributes.slice(1).sort(), [
      'HttpOnly',
      `Max-Age=${SESSION_TTL_SECONDS}`,
      'Path=/',
      'SameSite=Strict',
    ]);
    // Through the (trusted) TLS-terminating proxy.
    const https = await signIn({ link: await link(tenantAdmin) }, { 'x-forwarded-proto': 'https' });
    assert.ok((https.headers.getSetCookie()[0] ?? '').split('; ').includes('Secure'));
  });

  test('the cookie reads /v1 and /admin routes with a token’s tenant isolation', async () => {
    const cookie = await cookieFor(tenantAdmin);
    const own = await withCookie('GET', '/admin/communication/logs', cookie);
    assert.equal(own.status, 200);
    assert.deepEqual(
      (own.body.items as { id: string }[]).map((item) => item.id),
      ['log_a1'],
    );
    const other = await withCookie('GET', '/admin/communication/logs?tenant_id=tnt_b', cookie);
    assert.equal(other.status, 403);
    assert.equal((await withCookie('GET', '/v1/retention/tnt_b', cookie)).status, 403);
    assert.equal((await withCookie('GET', '/v1/retention/tnt_a', cookie)).status, 200);
    assert.equal(
      (await withCookie('GET', '/v1/integrity/communication-log/key?tenant_id=tnt_b', cookie)).status,
      403,
    );

    const tenants = await withCookie('GET', '/v1/console/tenants', cookie);
    assert.deepEqual(tenants.body.data, { items: ['tnt_a'] });
    const root = await cookieFor(platformAdmin);
    // PostgreSQL numbers leaves in the background: a tenant is listed once its first leaf is.
    await waitFor('every tenant listed', async () => {
      const all = await withCookie('GET', '/v1/console/tenants', root);
      return JSON.stringify(all.body.data) === JSON.stringify({ items: ['tnt_a', 'tnt_b'] });
    });
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    assert.equal((await api.request('GET', '/v1/console/tenants', { token: user })).status, 403);
    assert.equal((await api.request('GET', '/v1/console/tenants')).status, 401);
  });

  test('an Authorization header wins over the cookie', async () => {
    const cookie = await cookieFor(platformAdmin);
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    const read = await api.request('GET', '/admin/communication/logs', { token: user, headers: { cookie } });
    assert.equal(read.status, 403, 'the token’s user, not the cookie’s admin');
    const bad = await api.request('GET', '/admin/communication/logs', {
      headers: { cookie, authorization: 'Bearer nonsense' },
    });
    assert.equal(bad.status, 401);
  });

  test('a read by cookie lands in the access log as the session’s user', async () => {
    const cookie = await cookieFor({ subject: 'usr_console_reader', tenantId: 'tnt_a', roles: ['admin'] });
    assert.equal((await withCookie('GET', '/admin/communication/logs?user_id=usr_1', cookie)).status, 200);
    const auditor = await admin('usr_auditor');
    let record: Record<string, unknown> | undefined;
    await waitFor('the cookie read in the access log', async () => {
      const page = await api.request('GET', '/admin/access-logs?actor=usr_console_reader', {
        token: auditor,
      });
      record = (page.body.items as Record<string, unknown>[] | undefined)?.[0];
      return record !== undefined;
    });
    assert.ok(record !== undefined);
    assert.equal(record.actor, 'usr_console_reader');
    assert.equal(record.tenant_id, 'tnt_a');
    assert.equal(record.route, '/admin/communication/logs');
    assert.deepEqual(record.query, { user_id: 'usr_1', page: 1, page_size: 20 });
    assert.doesNotMatch(JSON.stringify(record), /sealog_session/);
  });

  test('a change by cookie needs the server’s own Origin; by token it does not', async () => {
    const cookie = await cookieFor(platformAdmin);
    const put = (headers: Record<string, string>) =>
      api.request('PUT', '/v1/retention/tnt_a', {
        body: { 'operate-logs': '30d' },
        headers: { cookie, ...headers },
      });
    const missing = await put({});
    assert.equal(missing.status, 403);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'message', 'timestamp']);
    assert.match(String(missing.body.message), /Origin is missing/);
    assert.equal((await put({ origin: 'https://evil.example' })).status, 403);
    assert.equal((await put({ origin: 'null' })).status, 403);
    assert.equal((await put({ origin: api.url })).status, 200);
    // Behind the trusted proxy, the origin is the one the browser reached.
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'audit.example.com' };
    assert.equal((await put({ ...proxied, origin: api.url })).status, 403);
    assert.equal((await put({ ...proxied, origin: 'https://audit.example.com' })).status, 200);

    for (const [method, path] of [
      ['DELETE', '/v1/subjects/usr_1?tenant_id=tnt_a'],
      ['POST', '/v1/integrity/communication-log/checkpoint?tenant_id=tnt_a'],
    ] as const) {
      assert.equal((await withCookie(method, path, cookie)).status, 403, `${method} ${path}`);
    }
    const root = await admin('usr_root');
    const byToken = await api.request('PUT', '/v1/retention/tnt_a', {
      token: root,
      body: { 'operate-logs': null },
    });
    assert.equal(byToken.status, 200, 'a bearer token needs no Origin');
  });

  test('a sign-in from another site is refused and leaves the link usable', async () => {
    const secret = await link(tenantAdmin);
    const foreign = await signIn({ link: secret }, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.getSetCookie().length, 0);
    assert.equal((await signIn({ link: secret }, { origin: api.url })).status, 200);
  });

  test('signing out ends the session on the server: the old cookie is worthless', async () => {
    const cookie = await cookieFor(tenantAdmin);
    assert.equal((await withCookie('DELETE', '/v1/console/session', cookie)).status, 403, 'no Origin');
    const out = await withCookie('DELETE', '/v1/console/session', cookie, { origin: api.url });
    assert.equal(out.status, 200);
    assert.match(out.headers.getSetCookie()[0] ?? '', /^sealog_session=; Max-Age=0; Path=\/;/);
    assert.equal((await withCookie('GET', '/v1/console/session', cookie)).status, 401);
    assert.equal((await withCookie('GET', '/admin/communication/logs', cookie)).status, 401);
    assert.equal(
      (await withCookie('DELETE', '/v1/console/session', cookie, { origin: api.url })).status,
      200,
    );
    assert.equal((await api.request('GET', '/v1/console/session')).status, 401, 'no cookie');
  });

  test('the session survives a restart', async () => {
    const cookie = await cookieFor(tenantAdmin);
    await api.restart();
    assert.equal((await withCookie('GET', '/v1/console/session', cookie)).status, 200);
  });
});
