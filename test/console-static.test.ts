/**
 * /console over real HTTP, from a fixture build (the real front end is built elsewhere): index.html
 * for every deep link with a fresh CSP nonce, hashed assets cached immutably, security headers, no
 * authentication, 503 until built, and the Swagger UI at /docs left without the console's policy.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const INDEX = `<!doctype html>
<html><head><meta name="csp-nonce" content="%CSP_NONCE%"><title>fixture console</title>
<script type="module" src="/console/assets/app-3f9a1c.js"></script></head><body><div id="root"></div></body></html>
`;
const ASSET = 'document.getElementById("root").textContent = "fixture";\n';

/** The CSP header's directives by name. */
function directives(header: string | null): Map<string, string[]> {
  assert.ok(header !== null, 'a Content-Security-Policy header');
  return new Map(
    header.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('/console: the built single-page app', () => {
  let api: TestServer;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sealog-console-build-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'app-3f9a1c.js'), ASSET);
    api = await startTestServer({}, { consoleRoot: root });
  });
  after(async () => {
    await api.close();
    rmSync(root, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(`${api.url}${path}`);

  test('every console path answers index.html, uncached, without authentication', async () => {
    for (const path of [
      '/console',
      '/console/',
      '/console/sign-in',
      '/console/operate-log?x=1&tenant_id=t',
    ]) {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      const html = await response.text();
      assert.match(html, /<title>fixture console<\/title>/);
      assert.doesNotMatch(html, /%CSP_NONCE%/, 'the placeholder is replaced');
    }
  });

  test('a strict CSP whose style nonce is the one in index.html, fresh per response', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const response = await get('/console/communication-log');
      const csp = directives(response.headers.get('content-security-policy'));
      const meta = /<meta name="csp-nonce" content="([^"]+)">/.exec(await response.text())?.[1];
      assert.ok(meta !== undefined && /^[0-9a-f]{32}$/.test(meta), `a nonce in the page: ${meta}`);
      assert.deepEqual(csp.get('style-src'), ["'self'", `'nonce-${meta}'`]);
      const scripts = csp.get('script-src') ?? [];
      assert.equal(scripts[0], "'self'");
      assert.ok(
        scripts.slice(1).every((source) => /^'nonce-[0-9a-f]{32}'$/.test(source)),
        `no inline script allowed: ${scripts.join(' ')}`,
      );
      assert.deepEqual(Object.fromEntries([...csp].filter(([name]) => !/^(script|style)-src$/.test(name))), {
        'default-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      });
      nonces.add(meta);
    }
    assert.equal(nonces.size, 2, 'a new nonce per response');
  });

  test('the usual security headers', async () => {
    const response = await get('/console');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin');
  });

  test('hashed assets are cached immutably; a missing one is 404', async () => {
    const response = await get('/console/assets/app-3f9a1c.js');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(response.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await response.text(), ASSET);
    const missing = await get('/console/assets/app-000000.js');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: number }).code, 404);
    assert.equal((await get('/console/assets/%2e%2e/%2e%2e/package.json')).status, 404);
  });

  test('the Swagger UI at /docs keeps its own headers (it needs inline script)', async () => {
    const docs = await get('/docs/static/index.html');
    assert.equal(docs.status, 200);
    assert.doesNotMatch(docs.headers.get('content-security-policy') ?? '', /nonce-/);
  });

  test('the APIs still require a credential', async () => {
    const response = await get('/admin/communication/logs');
    assert.equal(response.status, 401);
  });
});

describe('/console before npm run build', () => {
  let api: TestServer;
  let root: string;
  before(async () => {
    root = join(mkdtempSync(join(tmpdir(), 'sealog-console-unbuilt-')), 'console');
    api = await startTestServer({}, { consoleRoot: root });
  });
  after(async () => {
    await api.close();
    rmSync(join(root, '..'), { recursive: true, force: true });
  });

  test('answers 503 saying to build it', async () => {
    for (const path of ['/console', '/console/sign-in', '/console/assets/app.js']) {
      const response = await api.request('GET', path);
      assert.equal(response.status, 503, path);
      assert.equal(response.body.code, 503);
      assert.match(String(response.body.message), /npm run build/);
    }
  });
});
